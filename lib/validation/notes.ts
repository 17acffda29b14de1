import { z } from "./zod";

/** The note an organisation keeps with an upload (public metadata at the CSP, like its label). */
export const UPLOAD_NOTE_MAX = 2000;
export const uploadNoteSchema = z.string().trim().max(UPLOAD_NOTE_MAX, `A note is at most ${UPLOAD_NOTE_MAX} characters.`);
export const describeUploadSchema = z.object({ uploadId: z.uuid(), note: uploadNoteSchema });
export const deleteUploadSchema = z.object({ uploadId: z.uuid() });
