import { ckksPublicKeys } from "@/lib/authority/ckks";
import { withUser } from "@/lib/http/route";

/**
 * The clustering key holder's CKKS public key, for browsers that encrypt feature tensors
 * (lib/hopcm/encrypted `encryptFeatureBlocks`). Evaluation keys stay server-side (the CSP's).
 * The key pair is made on the first request.
 */
export const GET = withUser(["HOSPITAL_STAFF", "RESEARCHER", "AUTHORITY_ADMIN"], async () => {
  const { keyId, publicKeys } = await ckksPublicKeys();
  return Response.json(
    { keyId, paramsId: publicKeys.paramsId, publicKey: Buffer.from(publicKeys.publicKey).toString("base64") },
    { headers: { "Cache-Control": "private, max-age=300" } },
  );
});
