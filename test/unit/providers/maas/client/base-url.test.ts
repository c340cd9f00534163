import { describe, expect, it } from "vitest";
import { resolveMaasUrl } from "../../../../../providers/maas/client/base-url";
import { MaasConfigError } from "../../../../../providers/maas/client/errors";

describe("resolveMaasUrl", () => {
  it.each([
    "http://127.0.0.1:5240/MAAS/",
    "http://127.0.0.1:5240/MAAS",
    "http://127.0.0.1:5240/MAAS/api/2.0/",
    "http://127.0.0.1:5240/MAAS/api/2.0",
    "http://127.0.0.1:5240/MAAS//",
  ])("reads %j as the same API root", (url) => {
    expect(resolveMaasUrl(url)).toEqual({ apiRoot: "http://127.0.0.1:5240/MAAS/api/2.0/", displayUrl: "http://127.0.0.1:5240/MAAS/" });
  });

  it("keeps a root-mounted MAAS at the root", () => {
    expect(resolveMaasUrl("http://127.0.0.1:8080").apiRoot).toBe("http://127.0.0.1:8080/api/2.0/");
  });

  it("drops credentials embedded in the url from what messages show", () => {
    expect(resolveMaasUrl("http://user:pw@127.0.0.1:5240/MAAS/").displayUrl).toBe("http://127.0.0.1:5240/MAAS/");
  });

  it.each([
    ["not a url", /is not a URL/],
    ["ftp://127.0.0.1/MAAS/", /must use http or https, not ftp/],
    ["http://127.0.0.1/MAAS/?format=json", /must not have a query string/],
  ])("rejects %j", (url, message) => {
    expect(() => resolveMaasUrl(url)).toThrow(MaasConfigError);
    expect(() => resolveMaasUrl(url)).toThrow(message);
  });
});
