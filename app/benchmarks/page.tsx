import { EmptyState, PageHeader } from "@/components/ui/page-header";

export const metadata = { title: "Benchmarks" };

export default function BenchmarksPage() {
  return (
    <>
      <PageHeader
        title="Computational overhead"
        description="Encryption plus decryption time against the number of attributes, measured live in your browser beside the paper's Table 4.1."
      />
      <EmptyState title="The live benchmark is not wired in yet">
        Meanwhile, `npm run bench:abe` prints the same measurements from the command line.
      </EmptyState>
    </>
  );
}
