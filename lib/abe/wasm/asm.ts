/**
 * A minimal WebAssembly binary writer: just the sections and opcodes the field-arithmetic
 * generator (field-gen.ts) needs. The generator is the single source of truth; its output is
 * checked in as field-module.generated.ts (npm run gen:wasm) and tested to match.
 *
 * Exports: I32, I64, Code, ModuleBuilder.
 */

export const I32 = 0x7f;
export const I64 = 0x7e;

function uleb(n: number, out: number[]): void {
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
}

function sleb(n: bigint, out: number[]): void {
  for (;;) {
    const b = Number(n & 0x7fn);
    n >>= 7n;
    const signBit = (b & 0x40) !== 0;
    if ((n === 0n && !signBit) || (n === -1n && signBit)) {
      out.push(b);
      return;
    }
    out.push(b | 0x80);
  }
}

/** Instruction stream of one function body. */
export class Code {
  readonly bytes: number[] = [];
  private op(...b: number[]): this {
    this.bytes.push(...b);
    return this;
  }
  get(i: number): this {
    this.op(0x20);
    uleb(i, this.bytes);
    return this;
  }
  set(i: number): this {
    this.op(0x21);
    uleb(i, this.bytes);
    return this;
  }
  tee(i: number): this {
    this.op(0x22);
    uleb(i, this.bytes);
    return this;
  }
  i32(n: number): this {
    this.op(0x41);
    sleb(BigInt(n | 0), this.bytes);
    return this;
  }
  i64(n: bigint): this {
    this.op(0x42);
    sleb(BigInt.asIntN(64, n), this.bytes);
    return this;
  }
  call(fn: number): this {
    this.op(0x10);
    uleb(fn, this.bytes);
    return this;
  }
  /** i64.load32_u with a static byte offset (alignment hint 4 bytes). */
  load32u(offset: number): this {
    this.op(0x35, 2);
    uleb(offset, this.bytes);
    return this;
  }
  /** i64.store32 with a static byte offset. */
  store32(offset: number): this {
    this.op(0x3e, 2);
    uleb(offset, this.bytes);
    return this;
  }
  i32Load(offset: number): this {
    this.op(0x28, 2);
    uleb(offset, this.bytes);
    return this;
  }
  i32Store(offset: number): this {
    this.op(0x36, 2);
    uleb(offset, this.bytes);
    return this;
  }
  i32Add(): this {
    return this.op(0x6a);
  }
  i32Sub(): this {
    return this.op(0x6b);
  }
  i32Eqz(): this {
    return this.op(0x45);
  }
  i32And(): this {
    return this.op(0x71);
  }
  i32Or(): this {
    return this.op(0x72);
  }
  add(): this {
    return this.op(0x7c);
  }
  sub(): this {
    return this.op(0x7d);
  }
  mul(): this {
    return this.op(0x7e);
  }
  and(): this {
    return this.op(0x83);
  }
  or(): this {
    return this.op(0x84);
  }
  shl(): this {
    return this.op(0x86);
  }
  shrS(): this {
    return this.op(0x87);
  }
  shrU(): this {
    return this.op(0x88);
  }
  eqz(): this {
    return this.op(0x50);
  }
  ltU(): this {
    return this.op(0x54);
  }
  ne(): this {
    return this.op(0x52);
  }
  wrap(): this {
    return this.op(0xa7);
  }
  select(): this {
    return this.op(0x1b);
  }
  drop(): this {
    return this.op(0x1a);
  }
  /** if (i32 on stack) ... [else ...] end, with no block result. */
  if(then: (c: this) => void, otherwise?: (c: this) => void): this {
    this.op(0x04, 0x40);
    then(this);
    if (otherwise) {
      this.op(0x05);
      otherwise(this);
    }
    return this.op(0x0b);
  }
  ret(): this {
    return this.op(0x0f);
  }
}

type FuncDecl = { name: string; params: number[]; results: number[]; locals: number[]; code?: Code; exported: boolean };

/** Functions are declared first (indices are needed by calls), then given bodies. */
export class ModuleBuilder {
  private readonly funcs: FuncDecl[] = [];
  private readonly byName = new Map<string, number>();

  constructor(private readonly memoryPages: number) {}

  declare(name: string, params: number[], results: number[] = [], exported = true): number {
    if (this.byName.has(name)) throw new Error(`duplicate wasm function ${name}`);
    const idx = this.funcs.length;
    this.funcs.push({ name, params, results, locals: [], exported });
    this.byName.set(name, idx);
    return idx;
  }

  index(name: string): number {
    const i = this.byName.get(name);
    if (i === undefined) throw new Error(`unknown wasm function ${name}`);
    return i;
  }

  define(name: string, locals: number[], body: (c: Code) => void): void {
    const f = this.funcs[this.index(name)];
    const code = new Code();
    body(code);
    f.locals = locals;
    f.code = code;
  }

  build(): Uint8Array {
    const out: number[] = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
    // Appends without spread: bodies are far larger than the engine's argument-count limit.
    const append = (dst: number[], src: readonly number[]) => {
      for (let i = 0; i < src.length; i++) dst.push(src[i]);
    };
    const section = (id: number, content: number[]) => {
      out.push(id);
      uleb(content.length, out);
      append(out, content);
    };
    // Types: one per function (duplicates are allowed and keep the writer simple).
    const types: number[] = [];
    uleb(this.funcs.length, types);
    for (const f of this.funcs) {
      types.push(0x60);
      uleb(f.params.length, types);
      types.push(...f.params);
      uleb(f.results.length, types);
      types.push(...f.results);
    }
    section(1, types);
    const fsec: number[] = [];
    uleb(this.funcs.length, fsec);
    this.funcs.forEach((_, i) => uleb(i, fsec));
    section(3, fsec);
    const mem: number[] = [1, 0x00];
    uleb(this.memoryPages, mem);
    section(5, mem);
    const exp: number[] = [];
    const exported = this.funcs.map((f, i) => ({ f, i })).filter((e) => e.f.exported);
    uleb(exported.length + 1, exp);
    const name = (s: string) => {
      const b = [...new TextEncoder().encode(s)];
      uleb(b.length, exp);
      exp.push(...b);
    };
    name("memory");
    exp.push(0x02, 0);
    for (const { f, i } of exported) {
      name(f.name);
      exp.push(0x00);
      uleb(i, exp);
    }
    section(7, exp);
    const code: number[] = [];
    uleb(this.funcs.length, code);
    for (const f of this.funcs) {
      if (!f.code) throw new Error(`wasm function ${f.name} has no body`);
      const body: number[] = [];
      // Run-length encode locals by type.
      const groups: [number, number][] = [];
      for (const t of f.locals) {
        const last = groups[groups.length - 1];
        if (last && last[1] === t) last[0]++;
        else groups.push([1, t]);
      }
      uleb(groups.length, body);
      for (const [n, t] of groups) {
        uleb(n, body);
        body.push(t);
      }
      append(body, f.code.bytes);
      body.push(0x0b);
      uleb(body.length, code);
      append(code, body);
    }
    section(10, code);
    return new Uint8Array(out);
  }
}
