import { z } from "./zod";

const NAME_PART = /^[A-Za-z][A-Za-z0-9_-]*$/;

export const createAuthoritySchema = z.object({
  code: z.string().trim().min(2, "Use at least 2 characters.").max(16).regex(NAME_PART, "Start with a letter; letters, digits, _ and - only (e.g. HA1)."),
  name: z.string().trim().min(3, "Give the authority a name.").max(120),
  description: z.string().trim().max(500).default(""),
  /** The attribute authority service that will run the namespace (lib/aa); empty: the one named like the code, else the first. */
  service: z.string().trim().max(16).optional(),
});

export const createAttributeSchema = z.object({
  authorityId: z.uuid("Choose an attribute authority."),
  localName: z
    .string()
    .trim()
    .min(2, "Use at least 2 characters.")
    .max(48)
    .regex(NAME_PART, "Start with a letter; letters, digits, _ and - only (e.g. cardiology)."),
  description: z.string().trim().max(500).default(""),
});

export const approveWithAttributesSchema = z.object({
  userId: z.uuid(),
  attributeIds: z.array(z.uuid()).max(64).default([]),
});

export const grantSchema = z.object({ userId: z.uuid(), attributeIds: z.array(z.uuid()).min(1, "Choose at least one attribute.").max(64) });

export const revokePersonSchema = z.object({
  userId: z.uuid(),
  reason: z.string().trim().min(3, "Say why (at least 3 characters).").max(500),
});

export const revokeAttributeSchema = z.object({
  userId: z.uuid(),
  attributeId: z.uuid(),
  reason: z.string().trim().min(3, "Say why (at least 3 characters).").max(500),
});

/** Base64 of lib/abe binary objects (bounded: a TK for 64 attributes is well under 16 KB). */
export const base64Bytes = (max: number) =>
  z
    .string()
    .max(Math.ceil((max * 4) / 3) + 4)
    .regex(/^[A-Za-z0-9+/]*={0,2}$/, "Not base64.");

export const transformKeyLayerSchema = z.object({
  tk: base64Bytes(16_384),
  /** Attribute name -> key version the TK was made from. */
  keyVersions: z.record(z.string().max(120), z.number().int().positive()),
});

/** A transform key in layers, one per set of key versions held (lib/keystore versionLayers). */
export const uploadTransformKeySchema = z.object({
  layers: z.array(transformKeyLayerSchema).min(1, "The transform key has no layer.").max(16, "At most 16 layers."),
});

export const wrapPublicKeySchema = z.object({
  publicKey: base64Bytes(64),
  /** The account password, asked again: a stolen session cookie alone must not redirect a person's keys. */
  password: z.string().min(1, "Enter your account password.").max(1024),
});
