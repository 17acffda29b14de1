import { describe, expect, it } from "vitest";
import { fromJson, fromJsonOrNull, IndexList, KeyVersions, StringList } from "./json";

describe("Json columns are checked where they are read", () => {
  it("passes well-formed values through", () => {
    expect(fromJson(KeyVersions, { "HA1.cardiology": 2 }, "uploads.key_versions")).toEqual({ "HA1.cardiology": 2 });
    expect(fromJson(StringList, ["a", "b"], "clustering_runs.columns")).toEqual(["a", "b"]);
    expect(fromJsonOrNull(IndexList, null, "access_request_uploads.record_indices")).toBeNull();
    expect(fromJsonOrNull(IndexList, [0, 4], "access_request_uploads.record_indices")).toEqual([0, 4]);
  });

  it("refuses a malformed value with the column's name, never passing it on", () => {
    expect(() => fromJson(KeyVersions, { "HA1.cardiology": "2" }, "uploads.key_versions")).toThrow(
      "The stored uploads.key_versions does not have the expected shape.",
    );
    expect(() => fromJson(StringList, "a,b", "clustering_runs.columns")).toThrow("clustering_runs.columns");
    expect(() => fromJsonOrNull(IndexList, [-1], "access_request_uploads.record_indices")).toThrow("record_indices");
    expect(() => fromJsonOrNull(IndexList, [1.5], "access_request_uploads.record_indices")).toThrow("record_indices");
  });
});
