"use strict";
// dockyard/remote-command: the provider runs remote commands only as argv
// arrays quoted by shellCommand, never as a shell string built from input,
// and starts no local process.
//
// In the files it is enabled for (provider/ and sdk/), it reports:
// - an import or require of child_process;
// - a call to (or a reference to) exec, execSync, execFile, execFileSync,
//   spawn, spawnSync, fork or shell, other than RegExp#exec, unless it is
//   `exec(shellCommand(argv))`;
// - for `exec(shellCommand(argv))`: an argv that is not a string[] (or
//   readonly string[]), an argv array (written there, in the variable it
//   names, or returned by the function it is the result of) that starts a
//   shell interpreter or contains -c, and a shellCommand whose declaration
//   does not quote every element;
// - a declaration of shellCommand that does not return
//   `argv.map(shellQuote).join(" ")` (the only place a command string is made).
//
// It needs type information (typescript-eslint's parser with a project).

const ts = require("typescript");

const PROCESS_CALLS = new Set(["exec", "execSync", "execFile", "execFileSync", "spawn", "spawnSync", "fork", "shell"]);
const SHELLS = new Set(["sh", "bash", "dash", "zsh", "ksh", "ash", "csh", "tcsh", "fish", "busybox", "env", "eval"]);
const ARGV_TYPE = /^(readonly )?string\[\]$/;
const FOLLOW_DEPTH = 4;

/** @type {import("eslint").Rule.RuleModule} */
module.exports = {
  meta: {
    type: "problem",
    docs: {
      description: "Remote commands are argv arrays quoted by shellCommand; no local process, no remote shell.",
    },
    schema: [],
    messages: {
      childProcess: "The provider starts no local process: do not import '{{module}}'.",
      processCall:
        "{{name}}(…) would start a local process or open a remote shell; the only remote command is exec(shellCommand(argv)).",
      processReference:
        "'{{name}}' taken as a value: the only remote command is a direct exec(shellCommand(argv)) call.",
      notShellCommand: "exec(…) must be given shellCommand(argv), not {{text}}.",
      argvType: "shellCommand must be given one string[] (or readonly string[]) argv, not {{type}}.",
      shellInterpreter:
        "The remote argv {{argv}} ({{where}}) starts the shell interpreter '{{word}}': its arguments would become a script.",
      dashC: "The remote argv {{argv}} ({{where}}) contains -c: one argument would become a script.",
      unquotedDefinition:
        'shellCommand ({{where}}) must quote every element: return argv.map(shellQuote).join(" "), nothing else.',
      unknownDefinition:
        "Cannot find the declaration of this shellCommand (it must be the one that quotes every element).",
    },
  },

  create(context) {
    const services = context.sourceCode.parserServices;
    if (!services || !services.program || !services.esTreeNodeToTSNodeMap) {
      throw new Error(
        "dockyard/remote-command needs type information: lint with typescript-eslint's parser and a project (parserOptions.project or projectService).",
      );
    }
    const checker = services.program.getTypeChecker();
    const tsNode = (node) => services.esTreeNodeToTSNodeMap.get(node);
    const typeText = (node) => checker.typeToString(checker.getTypeAtLocation(tsNode(node)));
    const isRegExp = (node) => typeText(node) === "RegExp";

    function checkModule(node, source) {
      if (source && typeof source.value === "string" && /child_process/.test(source.value)) {
        context.report({ node, messageId: "childProcess", data: { module: source.value } });
      }
    }

    function checkExec(node) {
      const arg = node.arguments[0];
      const ok =
        arg !== undefined &&
        arg.type === "CallExpression" &&
        arg.callee.type === "Identifier" &&
        arg.callee.name === "shellCommand";
      if (!ok) {
        const text = arg ? context.sourceCode.getText(arg) : "(nothing)";
        context.report({ node, messageId: "notShellCommand", data: { text } });
        return;
      }
      checkShellCommandAt(arg.callee);
      const argv = arg.arguments[0];
      if (arg.arguments.length !== 1 || argv.type === "SpreadElement") {
        const type = arg.arguments.map((a) => context.sourceCode.getText(a)).join(", ") || "(nothing)";
        context.report({ node: arg, messageId: "argvType", data: { type } });
        return;
      }
      const type = typeText(argv);
      if (!ARGV_TYPE.test(type)) {
        context.report({ node: argv, messageId: "argvType", data: { type } });
      }
      for (const literal of arrayLiterals(tsNode(argv), FOLLOW_DEPTH, new Set())) {
        const words = literal.elements.map((e) => (ts.isStringLiteralLike(e) ? e.text : "<expr>"));
        const data = { argv: literal.getText(), where: where(literal) };
        const first = words[0] === undefined ? "" : words[0].split("/").pop();
        if (SHELLS.has(first)) {
          context.report({ node: argv, messageId: "shellInterpreter", data: { ...data, word: words[0] } });
        }
        if (words.includes("-c")) {
          context.report({ node: argv, messageId: "dashC", data });
        }
      }
    }

    /** The shellCommand called here must be declared as the quoting one. */
    function checkShellCommandAt(identifier) {
      let symbol = checker.getSymbolAtLocation(tsNode(identifier));
      if (symbol && symbol.flags & ts.SymbolFlags.Alias) symbol = checker.getAliasedSymbol(symbol);
      const fn = symbol && functionOf(symbol.valueDeclaration);
      if (!fn) {
        context.report({ node: identifier, messageId: "unknownDefinition" });
        return;
      }
      if (!quotesEveryElement(fn)) {
        context.report({ node: identifier, messageId: "unquotedDefinition", data: { where: where(fn) } });
      }
    }

    /** The array literals an argv expression can evaluate to, as far as they can be seen. */
    function arrayLiterals(node, depth, seen) {
      if (!node || depth < 0 || seen.has(node)) return [];
      seen.add(node);
      if (ts.isParenthesizedExpression(node) || ts.isAsExpression(node) || ts.isSatisfiesExpression(node)) {
        return arrayLiterals(node.expression, depth, seen);
      }
      if (ts.isArrayLiteralExpression(node)) return [node];
      if (ts.isConditionalExpression(node)) {
        return [...arrayLiterals(node.whenTrue, depth, seen), ...arrayLiterals(node.whenFalse, depth, seen)];
      }
      if (ts.isIdentifier(node)) {
        const decl = checker.getSymbolAtLocation(node)?.valueDeclaration;
        if (decl && ts.isVariableDeclaration(decl) && decl.initializer) {
          return arrayLiterals(decl.initializer, depth - 1, seen);
        }
        return [];
      }
      if (ts.isCallExpression(node)) {
        let symbol = checker.getSymbolAtLocation(node.expression);
        if (symbol && symbol.flags & ts.SymbolFlags.Alias) symbol = checker.getAliasedSymbol(symbol);
        const fn = symbol && functionOf(symbol.valueDeclaration);
        if (!fn) return [];
        return returnedExpressions(fn).flatMap((e) => arrayLiterals(e, depth - 1, seen));
      }
      return [];
    }

    function where(node) {
      const sf = node.getSourceFile();
      const { line } = sf.getLineAndCharacterOfPosition(node.getStart());
      const file = sf.fileName.startsWith(context.cwd + "/") ? sf.fileName.slice(context.cwd.length + 1) : sf.fileName;
      return `${file}:${line + 1}`;
    }

    function checkDefinition(node) {
      const fn = functionOf(tsNode(node));
      if (fn && !quotesEveryElement(fn)) {
        context.report({ node, messageId: "unquotedDefinition", data: { where: where(fn) } });
      }
    }

    return {
      ImportDeclaration: (node) => checkModule(node, node.source),
      ExportNamedDeclaration: (node) => checkModule(node, node.source),
      ExportAllDeclaration: (node) => checkModule(node, node.source),
      ImportExpression: (node) => checkModule(node, node.source.type === "Literal" ? node.source : undefined),
      TSImportEqualsDeclaration(node) {
        if (node.moduleReference.type === "TSExternalModuleReference")
          checkModule(node, node.moduleReference.expression);
      },
      CallExpression(node) {
        const callee = node.callee;
        if (callee.type === "Identifier" && callee.name === "require") {
          checkModule(node, node.arguments[0] && node.arguments[0].type === "Literal" ? node.arguments[0] : undefined);
        }
        const name =
          callee.type === "Identifier"
            ? callee.name
            : callee.type === "MemberExpression"
              ? propertyName(callee)
              : undefined;
        if (name === undefined || !PROCESS_CALLS.has(name)) return;
        // RegExp#exec runs no process.
        if (callee.type === "MemberExpression" && isRegExp(callee.object)) return;
        if (name !== "exec") {
          context.report({ node, messageId: "processCall", data: { name } });
          return;
        }
        checkExec(node);
      },
      MemberExpression(node) {
        const name = propertyName(node);
        if (name === undefined || !PROCESS_CALLS.has(name)) return;
        if (node.parent.type === "CallExpression" && node.parent.callee === node) return;
        if (isRegExp(node.object)) return;
        context.report({ node, messageId: "processReference", data: { name } });
      },
      FunctionDeclaration(node) {
        if (node.id && node.id.name === "shellCommand") checkDefinition(node);
      },
      VariableDeclarator(node) {
        if (node.id.type === "Identifier" && node.id.name === "shellCommand" && node.init) checkDefinition(node);
      },
    };
  },
};

function propertyName(member) {
  const p = member.property;
  if (!member.computed && p.type === "Identifier") return p.name;
  if (member.computed && p.type === "Literal" && typeof p.value === "string") return p.value;
  if (member.computed && p.type === "TemplateLiteral" && p.expressions.length === 0) return p.quasis[0].value.cooked;
  return undefined;
}

/** The function a declaration stands for: a function declaration, or a variable initialized with a function. */
function functionOf(decl) {
  if (!decl) return undefined;
  if (ts.isFunctionDeclaration(decl) || ts.isFunctionExpression(decl) || ts.isArrowFunction(decl))
    return decl.body ? decl : undefined;
  if (ts.isVariableDeclaration(decl) && decl.initializer) {
    let init = decl.initializer;
    while (ts.isParenthesizedExpression(init) || ts.isAsExpression(init) || ts.isSatisfiesExpression(init))
      init = init.expression;
    if (ts.isFunctionExpression(init) || ts.isArrowFunction(init)) return init;
  }
  return undefined;
}

/** The expressions a function returns (not those of functions nested in it). */
function returnedExpressions(fn) {
  if (!fn.body) return [];
  if (!ts.isBlock(fn.body)) return [fn.body];
  const out = [];
  const visit = (n) => {
    if (ts.isFunctionLike(n) || ts.isClassLike(n)) return;
    if (ts.isReturnStatement(n)) out.push(n.expression);
    ts.forEachChild(n, visit);
  };
  ts.forEachChild(fn.body, visit);
  return out;
}

/** `return argv.map(shellQuote).join(" ")` on the first parameter, and no other return. */
function quotesEveryElement(fn) {
  const param = fn.parameters[0];
  if (!param || !ts.isIdentifier(param.name)) return false;
  const returns = returnedExpressions(fn);
  return returns.length > 0 && returns.every((e) => isQuotedJoin(e, param.name.text));
}

function isQuotedJoin(e, param) {
  while (e && ts.isParenthesizedExpression(e)) e = e.expression;
  if (!e || !ts.isCallExpression(e) || e.arguments.length !== 1) return false;
  const sep = e.arguments[0];
  if (!ts.isStringLiteralLike(sep) || sep.text !== " ") return false;
  if (!ts.isPropertyAccessExpression(e.expression) || e.expression.name.text !== "join") return false;
  const map = e.expression.expression;
  if (!ts.isCallExpression(map) || map.arguments.length !== 1) return false;
  const quote = map.arguments[0];
  if (!ts.isIdentifier(quote) || quote.text !== "shellQuote") return false;
  return (
    ts.isPropertyAccessExpression(map.expression) &&
    map.expression.name.text === "map" &&
    ts.isIdentifier(map.expression.expression) &&
    map.expression.expression.text === param
  );
}
