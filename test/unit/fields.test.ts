import { readFileSync } from "node:fs";
import { join } from "node:path";
import ts from "typescript";
import { describe, expect, it } from "vitest";
import { DESTINATION_FIELDS } from "../../provider/destination/destination-fields";
import type { Field } from "../../provider/fields";
import { ENDPOINT_FIELDS, SERVER_FIELDS } from "../../provider/server/server-fields";
import {
  DESTINATION_INPUT_KEYS,
  DESTINATION_REPLACE_KEYS,
  DESTINATION_SECRET_KEYS,
  IPAM_KEYS,
} from "../../provider/destination/destination-types";
import {
  ENDPOINT_KEYS,
  SERVER_INPUT_KEYS,
  SERVER_REPLACE_KEYS,
  SERVER_SECRET_KEYS,
} from "../../provider/server/server-types";

describe("key lists derived from the field tables", () => {
  it("keep the Server's lists", () => {
    expect(ENDPOINT_KEYS).toEqual([
      "host",
      "port",
      "user",
      "privateKey",
      "privateKeyPassword",
      "password",
      "agentSocketPath",
      "hostKey",
      "perDialTimeout",
      "dialErrorLimit",
    ]);
    expect(SERVER_INPUT_KEYS).toEqual([...ENDPOINT_KEYS, "proxy", "dockerSocket", "name", "description"]);
    expect([...SERVER_REPLACE_KEYS]).toEqual(["host", "dockerSocket"]);
    expect(SERVER_SECRET_KEYS).toEqual(["privateKey", "privateKeyPassword", "password", "proxy", "connection"]);
  });
  it("keep the Destination's lists", () => {
    const replacing = [
      "network",
      "type",
      "attachable",
      "internal",
      "ipv6",
      ...IPAM_KEYS,
      "mtu",
      "driverOptions",
      "labels",
    ];
    expect([...DESTINATION_REPLACE_KEYS]).toEqual(replacing);
    expect(DESTINATION_INPUT_KEYS).toEqual(["name", ...replacing, "connect", "adopt", "force"]);
    expect(DESTINATION_SECRET_KEYS).toEqual(["connection"]);
    const table: readonly Field[] = DESTINATION_FIELDS;
    for (const k of IPAM_KEYS) expect(table.find((f) => f.name === k)?.change).toBe("replaces");
  });
});

describe("the field tables", () => {
  const tables: [string, readonly Field[]][] = [
    ["Server", SERVER_FIELDS],
    ["Destination", DESTINATION_FIELDS],
  ];
  it.each(tables)("%s: every field has a doc, a unique name, and replacing inputs say so", (_, table) => {
    const names = table.map((f) => f.name);
    expect(new Set(names).size).toBe(names.length);
    for (const f of table) {
      expect(f.doc.trim().length, f.name).toBeGreaterThan(10);
      if (f.change === "replaces" && !ENDPOINT_FIELDS.some((e) => e.name === f.name))
        expect(f.doc, f.name).toMatch(/[Rr]eplaces/);
      if (f.change === "updates") expect(f.doc, f.name).not.toMatch(/\bReplaces\.$/);
    }
  });
});

/** TSDoc text of every member of the named interfaces and classes in an SDK file. */
function sdkDocs(file: string, containers: string[]): Map<string, string> {
  const path = join(__dirname, "../../sdk", file);
  const src = ts.createSourceFile(path, readFileSync(path, "utf8"), ts.ScriptTarget.Latest, true);
  const docs = new Map<string, string>();
  const visit = (node: ts.Node) => {
    if (
      (ts.isInterfaceDeclaration(node) || ts.isClassDeclaration(node)) &&
      node.name &&
      containers.includes(node.name.text)
    ) {
      for (const m of node.members) {
        if (!m.name || !ts.isIdentifier(m.name) || !(ts.isPropertySignature(m) || ts.isPropertyDeclaration(m)))
          continue;
        const text = ts
          .getJSDocCommentsAndTags(m)
          .map((d) => (ts.isJSDoc(d) ? (ts.getTextOfJSDocComment(d.comment) ?? "") : ""))
          .join(" ");
        docs.set(`${node.name.text}.${m.name.text}`, text.replace(/\s+/g, " ").trim());
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(src);
  return docs;
}

describe("the TypeScript SDK's TSDoc is the table's doc", () => {
  const cases: [string, string[], readonly Field[], string[]][] = [
    ["server.ts", ["SshArgs", "ServerArgs", "Server"], SERVER_FIELDS, []],
    ["destination.ts", ["DestinationArgs", "Destination"], DESTINATION_FIELDS, ["server"]],
  ];
  it.each(cases)("%s", (file, containers, table, sdkOnly) => {
    const docs = sdkDocs(file, containers);
    expect(docs.size).toBeGreaterThan(5);
    for (const [member, doc] of docs) {
      const name = member.slice(member.indexOf(".") + 1);
      if (sdkOnly.includes(name)) continue;
      const field = table.find((f) => f.name === name);
      expect(field, `${member} is not in the field table`).toBeDefined();
      expect(doc, member).toBe(field!.doc);
    }
  });
});
