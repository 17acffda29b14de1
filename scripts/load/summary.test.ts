import { describe, expect, it } from "vitest";
import { cookieHeader, cpuMsFromStat, formatTable, parseLoadAvg, summarise } from "./summary";

const result = { requests: { average: 123.456 }, latency: { p50: 40.4, p99: 480.6 }, errors: 5, timeouts: 3, non2xx: 7 };

describe("load summary", () => {
  it("reports connection errors (timeouts included) apart from non-2xx answers", () => {
    expect(summarise("/hospital", 50, result, 1.5)).toEqual({
      route: "/hospital",
      connections: 50,
      reqPerSec: 123.456,
      p50Ms: 40.4,
      p99Ms: 480.6,
      errors: 5,
      non2xx: 7,
      load1: 1.5,
    });
  });

  it("prints a markdown table with one line per case", () => {
    const table = formatTable([summarise("/login", 10, result, 0.25)]).split("\n");
    expect(table).toHaveLength(3);
    expect(table[0]).toBe("| route | connections | req/s | p50 ms | p99 ms | errors | non-2xx | load avg 1 min |");
    expect(table[2]).toBe("| /login | 10 | 123.5 | 40 | 481 | 5 | 7 | 0.25 |");
  });

  it("reads the 1-minute load average", () => {
    expect(parseLoadAvg("0.52 0.58 0.59 1/467 1234\n")).toBe(0.52);
    expect(parseLoadAvg("")).toBeNaN();
  });

  it("keeps the latest value of each cookie", () => {
    const first = cookieHeader(["a=1; Path=/; HttpOnly", "b=2; Path=/"]);
    expect(first).toBe("a=1; b=2");
    expect(cookieHeader(["b=3; Path=/; SameSite=Lax", "c=x=y; Path=/"], first)).toBe("a=1; b=3; c=x=y");
  });

  it("reads a process's CPU time from /proc/<pid>/stat, whatever its name", () => {
    const stat = "4242 (next-server (v1) x) S 1 4242 4242 0 -1 4194304 100 0 0 0 250 75 0 0 20 0 11 0 1000 0 0";
    expect(cpuMsFromStat(stat)).toBe(3250);
  });
});
