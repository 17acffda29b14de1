/**
 * RFC 9380 hash_to_curve for BLS12-381 G1 (suite BLS12381G1_XMD:SHA-256_SSWU_RO_), with the
 * expensive parts on the wasm field module: the sqrt_ratio exponentiation and the cofactor
 * clearing. Output is identical to noble's `bls12_381.G1.hashToCurve` (differential test in
 * wasm.test.ts), about 6x faster.
 *
 *   u0, u1 = hash_to_field(msg, 2);  Q_i = iso_map(map_to_curve_simple_swu(u_i))
 *   P = clear_cofactor(Q0 + Q1) = h_eff * (Q0 + Q1), h_eff = 1 - x = 0xd201000000010001
 *
 * Exports: wasmHashToG1.
 */
import { bls12_381 } from "@noble/curves/bls12-381.js";
import type { WeierstrassPoint } from "@noble/curves/abstract/weierstrass.js";
import { hashToFieldP } from "../xmd";
import { type FieldWasm, SIZES, fromMont, toMont } from "./runtime";
import { modInverse } from "../fpinv";

const { Fp } = bls12_381.fields;
const P = Fp.ORDER;
const L = SIZES.LIMBS;
const FPB = SIZES.FP_BYTES;

// E': y^2 = x^3 + A' x + B', Z = 11 (RFC 9380 section 8.8.1).
const A_ = 0x144698a3b8e9433d693a02c96d4982b0ea985383ee66a8d8e8981aefd881ac98936f8da0e0f97f5cf428082d584c1dn;
const B_ = 0x12e2908d11688030018b12e8753eee3b2016c1f0f24f4070a0b9c14fcef35ef55a23215a316ceaa5d1cc48e98e172be0n;
const Z = 11n;
let C2: bigint | undefined; // sqrt(-Z)
const H_EFF = 0xd201000000010001n;

// 11-isogeny E' -> E (RFC 9380 appendix E.2), coefficients k_0..k_d in ascending order.
const h = (xs: string[]): bigint[] => xs.map((x) => BigInt("0x" + x));
const X_NUM = h([
  "11a05f2b1e833340b809101dd99815856b303e88a2d7005ff2627b56cdb4e2c85610c2d5f2e62d6eaeac1662734649b7",
  "17294ed3e943ab2f0588bab22147a81c7c17e75b2f6a8417f565e33c70d1e86b4838f2a6f318c356e834eef1b3cb83bb",
  "d54005db97678ec1d1048c5d10a9a1bce032473295983e56878e501ec68e25c958c3e3d2a09729fe0179f9dac9edcb0",
  "1778e7166fcc6db74e0609d307e55412d7f5e4656a8dbf25f1b33289f1b330835336e25ce3107193c5b388641d9b6861",
  "e99726a3199f4436642b4b3e4118e5499db995a1257fb3f086eeb65982fac18985a286f301e77c451154ce9ac8895d9",
  "1630c3250d7313ff01d1201bf7a74ab5db3cb17dd952799b9ed3ab9097e68f90a0870d2dcae73d19cd13c1c66f652983",
  "d6ed6553fe44d296a3726c38ae652bfb11586264f0f8ce19008e218f9c86b2a8da25128c1052ecaddd7f225a139ed84",
  "17b81e7701abdbe2e8743884d1117e53356de5ab275b4db1a682c62ef0f2753339b7c8f8c8f475af9ccb5618e3f0c88e",
  "80d3cf1f9a78fc47b90b33563be990dc43b756ce79f5574a2c596c928c5d1de4fa295f296b74e956d71986a8497e317",
  "169b1f8e1bcfa7c42e0c37515d138f22dd2ecb803a0c5c99676314baf4bb1b7fa3190b2edc0327797f241067be390c9e",
  "10321da079ce07e272d8ec09d2565b0dfa7dccdde6787f96d50af36003b14866f69b771f8c285decca67df3f1605fb7b",
  "6e08c248e260e70bd1e962381edee3d31d79d7e22c837bc23c0bf1bc24c6b68c24b1b80b64d391fa9c8ba2e8ba2d229",
]);
const X_DEN = h([
  "8ca8d548cff19ae18b2e62f4bd3fa6f01d5ef4ba35b48ba9c9588617fc8ac62b558d681be343df8993cf9fa40d21b1c",
  "12561a5deb559c4348b4711298e536367041e8ca0cf0800c0126c2588c48bf5713daa8846cb026e9e5c8276ec82b3bff",
  "b2962fe57a3225e8137e629bff2991f6f89416f5a718cd1fca64e00b11aceacd6a3d0967c94fedcfcc239ba5cb83e19",
  "3425581a58ae2fec83aafef7c40eb545b08243f16b1655154cca8abc28d6fd04976d5243eecf5c4130de8938dc62cd8",
  "13a8e162022914a80a6f1d5f43e7a07dffdfc759a12062bb8d6b44e833b306da9bd29ba81f35781d539d395b3532a21e",
  "e7355f8e4e667b955390f7f0506c6e9395735e9ce9cad4d0a43bcef24b8982f7400d24bc4228f11c02df9a29f6304a5",
  "772caacf16936190f3e0c63e0596721570f5799af53a1894e2e073062aede9cea73b3538f0de06cec2574496ee84a3a",
  "14a7ac2a9d64a8b230b3f5b074cf01996e7f63c21bca68a81996e1cdf9822c580fa5b9489d11e2d311f7d99bbdcc5a5e",
  "a10ecf6ada54f825e920b3dafc7a3cce07f8d1d7161366b74100da67f39883503826692abba43704776ec3a79a1d641",
  "95fc13ab9e92ad4476d6e3eb3a56680f682b4ee96f7d03776df533978f31c1593174e4b4b7865002d6384d168ecdd0a",
  "1",
]);
const Y_NUM = h([
  "90d97c81ba24ee0259d1f094980dcfa11ad138e48a869522b52af6c956543d3cd0c7aee9b3ba3c2be9845719707bb33",
  "134996a104ee5811d51036d776fb46831223e96c254f383d0f906343eb67ad34d6c56711962fa8bfe097e75a2e41c696",
  "cc786baa966e66f4a384c86a3b49942552e2d658a31ce2c344be4b91400da7d26d521628b00523b8dfe240c72de1f6",
  "1f86376e8981c217898751ad8746757d42aa7b90eeb791c09e4a3ec03251cf9de405aba9ec61deca6355c77b0e5f4cb",
  "8cc03fdefe0ff135caf4fe2a21529c4195536fbe3ce50b879833fd221351adc2ee7f8dc099040a841b6daecf2e8fedb",
  "16603fca40634b6a2211e11db8f0a6a074a7d0d4afadb7bd76505c3d3ad5544e203f6326c95a807299b23ab13633a5f0",
  "4ab0b9bcfac1bbcb2c977d027796b3ce75bb8ca2be184cb5231413c4d634f3747a87ac2460f415ec961f8855fe9d6f2",
  "987c8d5333ab86fde9926bd2ca6c674170a05bfe3bdd81ffd038da6c26c842642f64550fedfe935a15e4ca31870fb29",
  "9fc4018bd96684be88c9e221e4da1bb8f3abd16679dc26c1e8b6e6a1f20cabe69d65201c78607a360370e577bdba587",
  "e1bba7a1186bdb5223abde7ada14a23c42a0ca7915af6fe06985e7ed1e4d43b9b3f7055dd4eba6f2bafaaebca731c30",
  "19713e47937cd1be0dfd0b8f1d43fb93cd2fcbcb6caf493fd1183e416389e61031bf3a5cce3fbafce813711ad011c132",
  "18b46a908f36f6deb918c143fed2edcc523559b8aaf0c2462e6bfe7f911f643249d9cdf41b44d606ce07c8a4d0074d8e",
  "b182cac101b9399d155096004f53f447aa7b12a3426b08ec02710e807b4633f06c851c1919211f20d4c04f00b971ef8",
  "245a394ad1eca9b72fc00ae7be315dc757b3b080d4c158013e6632d3c40659cc6cf90ad1c232a6442d9d3f5db980133",
  "5c129645e44cf1102a159f748c4a3fc5e673d81d7e86568d9ab0f5d396a7ce46ba1049b6579afb7866b1e715475224b",
  "15e6be4e990f03ce4ea50b3b42df2eb5cb181d8f84965a3957add4fa95af01b2b665027efec01c7704b456be69c8b604",
]);
const Y_DEN = h([
  "16112c4c3a9c98b252181140fad0eae9601a6de578980be6eec3232b5be72e7a07f3688ef60c206d01479253b03663c1",
  "1962d75c2381201e1a0cbd6c43c348b885c84ff731c4d59ca4a10356f453e01f78a4260763529e3532f6102c2e49a03d",
  "58df3306640da276faaae7d6e8eb15778c4855551ae7f310c35a5dd279cd2eca6757cd636f96f891e2538b53dbf67f2",
  "16b7d288798e5395f20d23bf89edb4d1d115c5dbddbcd30e123da489e726af41727364f2c28297ada8d26d98445f5416",
  "be0e079545f43e4b00cc912f8228ddcc6d19c9f0f69bbb0542eda0fc9dec916a20b15dc0fd2ededda39142311a5001d",
  "8d9e5297186db2d9fb266eaac783182b70152c65550d881c5ecd87b6f0f5a6449f38db9dfa9cce202c6477faaf9b7ac",
  "166007c08a99db2fc3ba8734ace9824b5eecfdfa8d0cf8ef5dd365bc400a0051d5fa9c01a58b1fb93d1a1399126a775c",
  "16a3ef08be3ea7ea03bcddfabba6ff6ee5a4375efa1f4fd7feb34fd206357132b920f5b00801dee460ee415a15812ed9",
  "1866c8ed336c61231a1be54fd1d74cc4f9fb0ce4c6af5920abc5750c4bf39b4852cfe2f7bb9248836b233d9d55535d4a",
  "167a55cda70a6e1cea820597d94a84903216f763e13d87bb5308592e7ea7d4fbc7385ea3d529b35e346ef48bb8913f55",
  "4d2f259eea405bd48f010a01ad2911d9c6dd039bb61a6290e591b36e636a5c871a5c29f4f83060400f8b49cba8f6aa8",
  "accbb67481d033ff5852c1e48c50c477f94ff8aefce42d28c0f9a88cea7913516f968986f7ebbea9684b529e2561092",
  "ad6b9514c767fe3c3613144b45f1496543346d98adf02267d5ceef9a00d9b8693000763e3b90ac11e99b138573345cc",
  "2660400eb2e4f3b628bdd0d53cd76f2bf565b94e72927c1cb748df27942480e420517bd8714cc80d1fadc1326ed06f7",
  "e0fa1d816ddc03e6b24255e0d7819c171c40f65e273b853324efcd6356caa205ca2f570f13497804415473a1d634b8f",
  "1",
]);

const COEFFS = [X_NUM, X_DEN, Y_NUM, Y_DEN] as const;

type Regs = {
  /** general Fp registers */
  f: number[];
  /** xd^0..xd^15 */
  xdPow: number[];
  /** isogeny coefficients (Montgomery), per polynomial */
  k: number[][];
  consts: { A: number; B: number; Z: number; C2: number };
  /** Jacobian registers */
  q0: number;
  q1: number;
  tmp: number;
  res: number;
};
const regsCache = new WeakMap<FieldWasm, Regs>();
function regs(w: FieldWasm): Regs {
  let r = regsCache.get(w);
  if (!r) {
    const fp = () => w.alloc(FPB);
    C2 ??= Fp.sqrt(Fp.neg(Z));
    const c = (v: bigint) => {
      const a = fp();
      toMont(v, w.u32, a / 4);
      return a;
    };
    r = {
      f: Array.from({ length: 16 }, fp),
      xdPow: Array.from({ length: 16 }, fp),
      k: COEFFS.map((poly) => poly.map(c)),
      consts: { A: c(A_), B: c(B_), Z: c(Z), C2: c(C2) },
      q0: w.alloc(3 * FPB),
      q1: w.alloc(3 * FPB),
      tmp: w.alloc(3 * FPB),
      res: w.alloc(3 * FPB),
    };
    regsCache.set(w, r);
  }
  return r;
}

/**
 * map_to_curve_simple_swu on E' (RFC 9380 F.2, sqrt_ratio F.2.1.2) followed by the 11-isogeny,
 * entirely on registers and without inversions: x' = xn/xd is kept as a fraction, the
 * isogeny's rational functions are evaluated homogeneously, and the result is written to `out`
 * in Jacobian coordinates. Returns false for the (negligible) exceptional identity case.
 */
function mapToE(w: FieldWasm, R: Regs, u: bigint, out: number): boolean {
  const { A, B, Z: Zc, C2: c2 } = R.consts;
  const [U, T1, T2, T3, T4, T5, T6, X, Y, Y1, S1, S2, BASE, CHK, XN, YN] = R.f;
  const mul = w.fp_mul,
    add = w.fp_add,
    sub = w.fp_sub;
  toMont(u, w.u32, U / 4);
  mul(T1, U, U);
  mul(T1, T1, Zc); // tv1 = Z u^2
  mul(T2, T1, T1);
  add(T2, T2, T1); // tv2 = tv1^2 + tv1
  add(T3, T2, w.layout.one);
  mul(T3, T3, B); // tv3 = B (tv2 + 1)
  if (w.fp_is_zero(T2)) w.fp_copy(T4, Zc);
  else sub(T4, w.layout.zero, T2);
  mul(T4, T4, A); // tv4 = A * (tv2 != 0 ? -tv2 : Z)
  mul(T2, T3, T3);
  mul(T6, T4, T4);
  mul(T5, A, T6);
  add(T2, T2, T5);
  mul(T2, T2, T3);
  mul(T6, T6, T4);
  mul(T5, B, T6);
  add(T2, T2, T5); // gx numerator (tv2) and denominator (tv6)
  mul(X, T1, T3); // x = tv1 tv3
  // sqrt_ratio(tv2, tv6): y1 = (tv6^2 tv2 tv6)^c1 * tv2 tv6, then test y1^2 tv6 == tv2.
  mul(S1, T6, T6);
  mul(S2, T2, T6);
  mul(BASE, S1, S2);
  w.fp_pow_sqrt_ratio(Y1, BASE); // BASE^((p-3)/4)
  mul(Y1, Y1, S2);
  mul(CHK, Y1, Y1);
  mul(CHK, CHK, T6);
  const isQR = w.fp_eq(CHK, T2) === 1;
  if (!isQR) mul(Y1, Y1, c2);
  if (isQR) {
    w.fp_copy(X, T3);
    w.fp_copy(Y, Y1);
  } else {
    mul(Y, T1, U);
    mul(Y, Y, Y1);
  }
  if ((u & 1n) !== (fromMont(w.u32, Y / 4) & 1n)) sub(Y, w.layout.zero, Y);
  // x' = X / T4. Homogeneous Horner: H(xn, xd) = sum k_i xn^i xd^(d-i).
  const xd = T4;
  w.fp_copy(R.xdPow[0], w.layout.one);
  for (let i = 1; i < 16; i++) mul(R.xdPow[i], R.xdPow[i - 1], xd);
  const horner = (poly: number[], dst: number) => {
    const d = poly.length - 1;
    w.fp_copy(dst, poly[d]);
    for (let i = d - 1; i >= 0; i--) {
      mul(dst, dst, X);
      mul(CHK, poly[i], R.xdPow[d - i]);
      add(dst, dst, CHK);
    }
  };
  const XD = S1,
    YD = S2;
  horner(R.k[0], XN); // deg 11: x_E = XN / (XD xd)
  horner(R.k[1], XD); // deg 10
  horner(R.k[2], YN); // deg 15: y_E = y YN / YD
  horner(R.k[3], YD); // deg 15
  mul(XD, XD, xd); // XD <- XD * xd (the full x denominator)
  if (w.fp_is_zero(XD) || w.fp_is_zero(YD)) return false;
  // Jacobian: Z = XD YD, X = x_E Z^2 = XN XD YD^2, Y = y_E Z^3 = y YN XD^3 YD^2.
  const F = SIZES.FP_BYTES;
  mul(out + 2 * F, XD, YD);
  mul(T5, YD, YD); // YD^2
  mul(T6, XN, XD);
  mul(out, T6, T5);
  mul(T6, XD, XD);
  mul(T6, T6, XD); // XD^3
  mul(T6, T6, T5);
  mul(T6, T6, YN);
  mul(out + F, T6, Y);
  return true;
}

const G1P = bls12_381.G1.Point;

/**
 * hash_to_curve(msg) in G1, left as a Jacobian point in the g1 accumulator register used by
 * curve.ts (so a scalar multiplication can follow without a conversion). Returns false for
 * the identity.
 */
export function wasmHashToG1Jacobian(w: FieldWasm, dst: string, msg: Uint8Array, out: number): boolean {
  const R = regs(w);
  const [u0, u1] = hashToFieldP(msg, dst, 2, P, 64);
  const ok0 = mapToE(w, R, u0, R.q0);
  const ok1 = mapToE(w, R, u1, R.q1);
  let inf = true;
  if (ok0 && ok1) {
    const st = w.g1_add(R.tmp, R.q0, R.q1);
    if ((st & 1) === 0) {
      copy3(w, R.q0, R.tmp);
      inf = false;
    } else if (st & 2) {
      w.g1_dbl(R.q0, R.q0);
      inf = false;
    }
  } else if (ok0 || ok1) {
    if (!ok0) copy3(w, R.q0, R.q1);
    inf = false;
  }
  if (inf) return false;
  // clear_cofactor: h_eff * Q by double-and-add (public constant); exceptional cases (points of
  // tiny order) handled all the same.
  let accInf = true;
  for (let i = H_EFF.toString(2).length - 1; i >= 0; i--) {
    if (!accInf) w.g1_dbl(out, out);
    if ((H_EFF >> BigInt(i)) & 1n) {
      if (accInf) {
        copy3(w, out, R.q0);
        accInf = false;
        continue;
      }
      const st = w.g1_add(R.tmp, out, R.q0);
      if ((st & 1) === 0) copy3(w, out, R.tmp);
      else if (st & 2) w.g1_dbl(out, R.q0);
      else accInf = true;
    }
  }
  return !accInf;
}

/** hash_to_curve(msg) in G1 with the given DST, as a noble point. */
export function wasmHashToG1(w: FieldWasm, dst: string, msg: Uint8Array): WeierstrassPoint<bigint> {
  const R = regs(w);
  return wasmHashToG1Jacobian(w, dst, msg, R.res) ? readJac(w, R.res) : G1P.ZERO;
}

function readJac(w: FieldWasm, addr: number): WeierstrassPoint<bigint> {
  const X = fromMont(w.u32, addr / 4);
  const Y = fromMont(w.u32, addr / 4 + L);
  const Zc = fromMont(w.u32, addr / 4 + 2 * L);
  if (Zc === 0n) return G1P.ZERO;
  const zi = modInverse(Zc, P);
  const zi2 = Fp.mul(zi, zi);
  return new G1P(Fp.mul(X, zi2), Fp.mul(Y, Fp.mul(zi2, zi)), 1n);
}

function copy3(w: FieldWasm, dst: number, src: number): void {
  w.fp_copy(dst, src);
  w.fp_copy(dst + FPB, src + FPB);
  w.fp_copy(dst + 2 * FPB, src + 2 * FPB);
}
