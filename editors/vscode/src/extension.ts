// The AI Threat Workbench extension: starts `threat-workbench lsp` (the language server of
// the Python package) from the user's Python environment, and adds commands that run the
// workbench's command line on the open model. Nothing is fetched at run time.
import { execFile } from "node:child_process";
import * as path from "node:path";
import * as vscode from "vscode";
import {
  LanguageClient,
  LanguageClientOptions,
  ServerOptions,
  TransportKind,
} from "vscode-languageclient/node";

let client: LanguageClient | undefined;
let output: vscode.OutputChannel | undefined;

const INSTALL = 'pip install "ai-threat-workbench[lsp]"';

/** The Python interpreter: the setting, else the Python extension's selected one, else python3. */
async function pythonPath(): Promise<string> {
  const configured = vscode.workspace
    .getConfiguration("threatWorkbench")
    .get<string>("pythonPath", "")
    .trim();
  if (configured) {
    return configured;
  }
  const python = vscode.extensions.getExtension("ms-python.python");
  if (python) {
    try {
      const api = python.isActive ? python.exports : await python.activate();
      const env = api?.environments?.getActiveEnvironmentPath?.();
      if (env?.path) {
        return env.path as string;
      }
    } catch {
      // fall back to the PATH
    }
  }
  return process.platform === "win32" ? "python" : "python3";
}

/** Whether `python` can import the language server; the error text when it cannot. */
function check(python: string): Promise<string | undefined> {
  return new Promise((resolve) => {
    execFile(
      python,
      ["-c", "import workbench.lsp.server"],
      { timeout: 30000 },
      (error, _stdout, stderr) => resolve(error ? (stderr || String(error)).trim() : undefined),
    );
  });
}

async function start(context: vscode.ExtensionContext): Promise<void> {
  const python = await pythonPath();
  const problem = await check(python);
  if (problem !== undefined) {
    output?.appendLine(`${python}: ${problem}`);
    const choice = await vscode.window.showErrorMessage(
      `AI Threat Workbench: the language server is not installed for ${python}. ` +
        `Install it with: ${INSTALL} (or set threatWorkbench.pythonPath).`,
      "Copy the command",
      "Open settings",
    );
    if (choice === "Copy the command") {
      await vscode.env.clipboard.writeText(`${python} -m ${INSTALL}`);
    } else if (choice === "Open settings") {
      await vscode.commands.executeCommand(
        "workbench.action.openSettings",
        "threatWorkbench.pythonPath",
      );
    }
    return;
  }
  const level = vscode.workspace.getConfiguration("threatWorkbench").get<string>("level", "high");
  const serverOptions: ServerOptions = {
    command: python,
    args: ["-m", "workbench.cli", "lsp"],
    transport: TransportKind.stdio,
  };
  const clientOptions: LanguageClientOptions = {
    // The server answers only for model files (by name or content); others get nothing.
    documentSelector: [
      { scheme: "file", language: "yaml" },
      { scheme: "file", language: "json" },
      { scheme: "untitled", language: "yaml" },
    ],
    initializationOptions: { level },
    synchronize: { configurationSection: "threatWorkbench" },
    outputChannel: output,
  };
  client = new LanguageClient("threatWorkbench", "AI Threat Workbench", serverOptions, clientOptions);
  context.subscriptions.push(client);
  await client.start();
}

/** Run the workbench's command line on the active model file in a terminal. */
async function runOnModel(args: (file: string) => string[]): Promise<void> {
  const editor = vscode.window.activeTextEditor;
  if (!editor || editor.document.uri.scheme !== "file") {
    void vscode.window.showWarningMessage("Open a threat-model file first.");
    return;
  }
  await editor.document.save();
  const python = await pythonPath();
  const file = editor.document.uri.fsPath;
  const terminal = vscode.window.createTerminal({
    name: "Threat Workbench",
    cwd: path.dirname(file),
  });
  const quote = (s: string) => `'${s.replace(/'/g, "'\\''")}'`;
  terminal.sendText([python, "-m", "workbench.cli", ...args(file)].map(quote).join(" "));
  terminal.show();
}

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  output = vscode.window.createOutputChannel("AI Threat Workbench");
  context.subscriptions.push(output);
  context.subscriptions.push(
    vscode.commands.registerCommand("threatWorkbench.analyze", () =>
      runOnModel((file) => ["analyze", file]),
    ),
    vscode.commands.registerCommand("threatWorkbench.report", () =>
      runOnModel((file) => [
        "report",
        file,
        "--format",
        "html",
        "-o",
        file.replace(/\.(ya?ml|json)$/i, "") + ".report.html",
        "--force",
      ]),
    ),
    vscode.commands.registerCommand("threatWorkbench.restart", async () => {
      const old = client;
      client = undefined;
      await old?.stop();
      await start(context);
    }),
  );
  await start(context);
}

export async function deactivate(): Promise<void> {
  await client?.stop();
}
