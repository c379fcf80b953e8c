import { defineCliCommand } from "@hop3/core/cli";

export const pluginsCommand = defineCliCommand({
  name: ["plugins"],
  summary: "List the plugins of this distribution and what each contributes",
  usage: "hop3 plugins [--json]",
  async run({ distribution }) {
    const dist = await distribution();
    const { registry } = dist;
    const data = {
      plugins: dist.plugins,
      builders: registry.builders().map((b, order) => ({ name: b.name, order: order + 1, priority: b.priority ?? 100, usesToolchains: b.usesToolchains })),
      toolchains: registry.toolchains().map((t) => ({ name: t.name, priority: t.priority ?? 100 })),
      deployers: registry.deployers().map((d) => ({ name: d.name, takes: d.takes })),
      routers: registry.routers().map((r) => ({ name: r.name })),
      commands: registry.cliCommands().map((c) => ({ name: c.name.join(" "), summary: c.summary })),
    };
    const text = [
      "plugins, in the order they were composed:",
      ...dist.plugins.map((p) => `  ${p.order}. ${p.name}${p.version ? ` ${p.version}` : ""}${p.origin === "distribution" ? "" : ` (from ${p.origin})`}`),
      "",
      `builders, in the order auto mode asks them: ${data.builders.map((b) => `${b.order}. ${b.name} (priority ${b.priority})`).join(", ") || "none"}`,
      `toolchains: ${data.toolchains.map((t) => t.name).join(", ") || "none"}`,
      `deployers: ${data.deployers.map((d) => `${d.name} (${d.takes.join(", ")})`).join("; ") || "none"}`,
      `router: ${data.routers.map((r) => r.name).join(", ") || "none"}`,
      `plugin commands: ${data.commands.map((c) => c.name).join(", ") || "none"}`,
    ];
    return { data, text };
  },
});
