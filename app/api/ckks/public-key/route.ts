import { blindPublicKeys } from "@/lib/authority/blind-key-holder";
import { ckksPublicKeys } from "@/lib/authority/ckks";
import { AppError } from "@/lib/errors";
import { BLIND_PARAMS_ID } from "@/lib/hopcm/encrypted/blind/keys";
import { withUser } from "@/lib/http/route";

/**
 * The clustering key holder's CKKS public key, for browsers that encrypt feature tensors
 * (lib/hopcm/encrypted `encryptFeatureBlocks`); `?protocol=blind`: the blind protocol's
 * (blind/keys.ts `encryptBlindFeatures`). Evaluation keys stay server-side (the CSP's).
 * The key pair is made on the first request.
 */
export const GET = withUser(["HOSPITAL_STAFF", "RESEARCHER", "AUTHORITY_ADMIN"], async (req) => {
  const protocol = new URL(req.url).searchParams.get("protocol") ?? "standard";
  if (protocol !== "standard" && protocol !== "blind") throw new AppError("VALIDATION", 'protocol must be "standard" or "blind".');
  const { keyId, paramsId, publicKey } =
    protocol === "blind"
      ? { ...(await blindPublicKeys()), paramsId: BLIND_PARAMS_ID }
      : await ckksPublicKeys().then(({ keyId, publicKeys }) => ({ keyId, paramsId: publicKeys.paramsId, publicKey: publicKeys.publicKey }));
  return Response.json({ keyId, paramsId, publicKey: Buffer.from(publicKey).toString("base64") }, { headers: { "Cache-Control": "private, max-age=300" } });
});
