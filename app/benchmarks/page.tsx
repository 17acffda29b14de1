import { BenchmarkRunner } from "@/components/benchmarks/benchmark-runner";
import type { PaperPoint } from "@/components/benchmarks/format";
import { PageHeader } from "@/components/ui/page-header";
import { PAPER_TABLE_4_1_MS } from "@/lib/abe/bench";

export const metadata = { title: "Benchmarks" };

// Read here, on the server, so the browser bundle does not carry lib/abe just for five numbers.
const paper: PaperPoint[] = Object.entries(PAPER_TABLE_4_1_MS)
  .map(([n, ms]) => ({ attributes: Number(n), ms }))
  .sort((a, b) => a.attributes - b.attributes);

export default function BenchmarksPage() {
  return (
    <>
      <PageHeader
        title="Computational overhead"
        description="Encryption plus decryption time against the number of attributes, measured live in your browser beside the paper's Table 4.1."
      />
      <div className="mb-6 max-w-3xl space-y-2 text-sm text-slate-700">
        <p>
          For each N, this page encrypts a key under an AND policy over N attributes and then runs the user&apos;s final decryption step, all in a Web Worker in
          your browser after one discarded warm-up run; the sum of the two medians is drawn against the paper&apos;s &ldquo;encryption + decryption&rdquo; times
          (Table 4.1, Figure 2). The pairing-heavy part of decryption is outsourced to the cloud and listed separately, as are full decryption without
          outsourcing and the unoptimized reference path.
        </p>
        <p>
          The paper&apos;s numbers come from the authors&apos; own machine, so compare the shape of the curves (how the time grows with N) more than their
          absolute values.
        </p>
      </div>
      <BenchmarkRunner paper={paper} />
    </>
  );
}
