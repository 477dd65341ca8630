import { describe, expect, it } from "vitest";
import { contextForUrn, parseUrn } from "../../provider/operation-context";
import { UNKNOWN } from "../../provider/resource";

const urnOf = (name: string, parents = "") =>
  `urn:pulumi:dev::proj::${parents}pulumi-nodejs:dynamic/dockyard:Destination::${name}`;

describe("a URN", () => {
  it("is read into its parts, a name with '::' kept whole", () => {
    expect(parseUrn("urn:pulumi:st::pr::app:Thing$dockyard:index:Destination::a::b")).toEqual({
      stack: "st",
      project: "pr",
      qualifiedType: "app:Thing$dockyard:index:Destination",
      type: "dockyard:index:Destination",
      name: "a::b",
    });
  });
  it("gives the context its name and type, and nothing more while it is not known", () => {
    const log = () => undefined;
    expect(contextForUrn(urnOf("web"), log)).toMatchObject({
      urn: urnOf("web"),
      name: "web",
      type: "pulumi-nodejs:dynamic/dockyard:Destination",
    });
    const unknown = contextForUrn(UNKNOWN, log);
    expect(unknown.name).toBeUndefined();
    expect(unknown.type).toBeUndefined();
  });
});
