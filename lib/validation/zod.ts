import { z } from "zod";

// Zod probes `new Function("")` to choose a faster parser. The pages' Content-Security-Policy
// has no 'unsafe-eval', so in a browser that probe is a reported violation; the plain parser
// is fast enough for forms. Schemas shared with the browser import z from here.
if (typeof window !== "undefined") z.config({ jitless: true }); // the server keeps the fast parser

export { z };
