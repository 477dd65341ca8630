/**
 * Networks that a docker CLI (`docker` runs it and returns its output) lists
 * with `label` (a label key, or key=value), as name → id, keeping those whose
 * name and value of that label `keep` accepts.
 */
export function labelledNetworks(
  docker: (...args: string[]) => string,
  label: string,
  keep: (name: string, labelValue: string) => boolean,
): Map<string, string> {
  const key = label.split("=")[0]!;
  const out = docker(
    "network",
    "ls",
    "--no-trunc",
    "--filter",
    `label=${label}`,
    "--format",
    `{{.Name}}\t{{.ID}}\t{{.Label "${key}"}}`,
  );
  return new Map(
    out
      .split("\n")
      .filter(Boolean)
      .map((l) => l.split("\t") as [string, string, string])
      .filter(([name, , value]) => keep(name, value))
      .map(([name, id]) => [name, id]),
  );
}
