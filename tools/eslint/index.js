"use strict";
// Dockyard's own lint rules, loaded by eslint.config.mjs as the plugin `dockyard`.

module.exports = {
  meta: { name: "dockyard" },
  rules: {
    "remote-command": require("./remote-command"),
  },
};
