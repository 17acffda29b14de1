import { z } from "zod";

/**
 * How strong a key passphrase must be. The passphrase is all that protects an exported key
 * backup against offline guessing, so a length floor alone is not enough: "aaaaaaaaaaaa",
 * "123456789012" and "Password1234" are 12 characters too. Shared by the forms and by
 * lib/keystore (which refuses to seal under a weak passphrase).
 */
export const KEY_PASSPHRASE_MIN = 12;
export const KEY_PASSPHRASE_MAX = 200;
/** Below this estimate a passphrase falls to a GPU guessing an exported backup. */
export const KEY_PASSPHRASE_MIN_BITS = 50;

// The roots of the most common leaked passwords; a passphrase that is one of them (or a
// repetition of one) once digits and symbols are stripped is refused whatever its length.
const COMMON = new Set(
  (
    "password passw0rd passphrase qwerty qwertyuiop asdf asdfgh asdfghjkl zxcvbnm letmein welcome admin administrator " +
    "iloveyou monkey dragon football baseball basketball soccer hockey master shadow sunshine princess superman batman " +
    "trustno trustnoone whatever freedom starwars computer internet secret changeme default login abc abcdef " +
    "qazwsx hello helloworld medshare hospital doctor patient nurse cardiology oncology research keys key mykeys " +
    "michael jennifer charlie jordan thomas daniel hunter ranger summer winter spring autumn love lovely flower " +
    "test testing guest user root toor pass pw secure security"
  ).split(" "),
);

function pool(p: string): number {
  let size = 0;
  if (/[a-z]/.test(p)) size += 26;
  if (/[A-Z]/.test(p)) size += 26;
  if (/[0-9]/.test(p)) size += 10;
  if (/[^A-Za-z0-9]/.test(p)) size += 33;
  return size;
}

/**
 * A deliberately simple entropy estimate: characters that repeat or continue a sequence
 * (aaaa, abcd, 4321) add nothing, and a passphrase built from few distinct characters
 * (abababab…) counts at most two per distinct character.
 */
export function passphraseBits(p: string): number {
  const codes = [...p].map((c) => c.codePointAt(0)!);
  let effective = codes.length ? 1 : 0;
  for (let i = 1; i < codes.length; i++) if (Math.abs(codes[i] - codes[i - 1]) > 1) effective++;
  const distinct = new Set(codes).size;
  return Math.min(effective, 2 * distinct) * Math.log2(Math.max(pool(p), 2));
}

const LEET: Record<string, string> = { "@": "a", "4": "a", "0": "o", "1": "i", "!": "i", "3": "e", $: "s", "5": "s", "7": "t" };

/** "Password1234!", "P@ssw0rd-2024", "passwordpassword": a common word under the usual disguises. */
function isCommon(p: string): boolean {
  const lower = p.toLowerCase();
  const trimmed = lower.replace(/^[^a-z@$]+|[^a-z]+$/g, "");
  const candidates = [
    lower.replace(/[^a-z]/g, ""),
    [...trimmed]
      .map((c) => LEET[c] ?? c)
      .join("")
      .replace(/[^a-z]/g, ""),
  ];
  return candidates.some((core) => core.length > 0 && (COMMON.has(core) || repeatsCommonWord(core)));
}

function repeatsCommonWord(core: string): boolean {
  for (let n = 1; n <= core.length / 2; n++)
    if (core.length % n === 0 && core.slice(0, n).repeat(core.length / n) === core && COMMON.has(core.slice(0, n))) return true;
  return false;
}

/** Why a new key passphrase is refused, or null if it is strong enough. */
export function keyPassphraseProblem(p: string): string | null {
  if (p.length < KEY_PASSPHRASE_MIN) return `Use a key passphrase of at least ${KEY_PASSPHRASE_MIN} characters.`;
  if (p.length > KEY_PASSPHRASE_MAX) return `Use a key passphrase of at most ${KEY_PASSPHRASE_MAX} characters.`;
  if (isCommon(p)) return "This key passphrase is on lists of common passwords. Choose a few unrelated words instead.";
  if (passphraseBits(p) < KEY_PASSPHRASE_MIN_BITS)
    return "This key passphrase is too predictable (repeated or sequential characters). Add more words or varied characters.";
  return null;
}

/** A key passphrase being chosen (new key store, registration). Unlocking takes any string. */
export const keyPassphraseSchema = z.string().superRefine((p, ctx) => {
  const problem = keyPassphraseProblem(p);
  if (problem) ctx.addIssue({ code: "custom", message: problem });
});
