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

interface Panel {
  svg: string;
  risks: { finding: string; title: string; target: string; targetName: string; risk: string }[];
  places: Record<string, { line: number; character: number }>;
  fresh: boolean;
  problems: number;
}

let panel: vscode.WebviewPanel | undefined;
let panelUri: vscode.Uri | undefined;
let places: Panel["places"] = {};

function escape(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function nonce(): string {
  let out = "";
  for (let i = 0; i < 32; i++) {
    out += "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"[Math.floor(Math.random() * 62)];
  }
  return out;
}

/** The panel's page: the diagram (SVG from the server), the top risks; a click reveals. */
function page(data: Panel | undefined, name: string): string {
  const n = nonce();
  const csp = `default-src 'none'; img-src data:; style-src 'unsafe-inline'; script-src 'nonce-${n}';`;
  let body: string;
  if (!data || !data.svg) {
    body = `<p>${escape(name)} has not loaded yet: see the Problems panel.</p>`;
  } else {
    const note = data.fresh
      ? ""
      : `<p class="note">The file does not load (${data.problems} problems): this is its last version that did.</p>`;
    const rows = data.risks
      .map(
        (r) =>
          `<li data-target="${escape(r.target)}"><b class="${escape(r.risk)}">${escape(r.risk)}</b> ` +
          `${escape(r.title)} <i>on ${escape(r.targetName)}</i> <code>${escape(r.finding)}</code></li>`,
      )
      .join("");
    const zoom = `<button class="zoom" type="button" title="Switch between the whole diagram and its actual size">Actual size</button>`;
    body = `${note}${zoom}<div class="diagram">${data.svg}</div><h3>Top risks</h3><ol class="risks">${rows}</ol>`;
  }
  return `<!DOCTYPE html><html><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<style>
body { font-family: var(--vscode-font-family); color: var(--vscode-foreground); }
.diagram { background: #fff; overflow: auto; max-height: 70vh; }
.diagram svg { max-width: 100%; height: auto; }
.diagram.actual svg { max-width: none; }
.zoom { margin: 0 0 6px; padding: 2px 8px; border: none; cursor: pointer;
  color: var(--vscode-button-secondaryForeground); background: var(--vscode-button-secondaryBackground); }
[data-element], [data-flow], .risks li { cursor: pointer; }
.critical { color: #b00020; } .high { color: #d9480f; } .medium { color: #b08800; }
.note { font-style: italic; }
</style></head><body>${body}
<script nonce="${n}">
const vscode = acquireVsCodeApi();
// The whole diagram fits the panel's width, unreadably small in a narrow panel: the button
// shows it at its actual size (scrolled), and back; kept when the panel is redrawn on save.
const diagram = document.querySelector(".diagram");
const zoom = document.querySelector(".zoom");
function showZoom(actual) {
  if (!diagram || !zoom) return;
  diagram.classList.toggle("actual", actual);
  zoom.textContent = actual ? "Fit to the panel" : "Actual size";
  vscode.setState({ actual });
}
showZoom(Boolean((vscode.getState() || {}).actual));
zoom?.addEventListener("click", () => showZoom(!diagram.classList.contains("actual")));
document.addEventListener("click", (event) => {
  const hit = event.target.closest("[data-element], [data-flow], [data-target]");
  if (!hit) return;
  const id = hit.getAttribute("data-element") || hit.getAttribute("data-flow") || hit.getAttribute("data-target");
  vscode.postMessage({ reveal: id });
});
</script></body></html>`;
}

/** Ask the server for the panel of a model document and show it. */
async function refreshPanel(uri: vscode.Uri): Promise<void> {
  if (!panel || !client) {
    return;
  }
  panelUri = uri;
  const data = (await client.sendRequest("threatWorkbench/diagram", { uri: uri.toString() })) as
    | Panel
    | null;
  places = data?.places ?? {};
  panel.title = `Threat model: ${path.basename(uri.fsPath)}`;
  panel.webview.html = page(data ?? undefined, path.basename(uri.fsPath));
}

function showPanel(context: vscode.ExtensionContext): void {
  const editor = vscode.window.activeTextEditor;
  if (!editor) {
    void vscode.window.showWarningMessage("Open a threat-model file first.");
    return;
  }
  if (!panel) {
    panel = vscode.window.createWebviewPanel(
      "threatWorkbench.diagram",
      "Threat model",
      { viewColumn: vscode.ViewColumn.Beside, preserveFocus: true },
      { enableScripts: true, localResourceRoots: [] },
    );
    panel.onDidDispose(() => {
      panel = undefined;
    }, null, context.subscriptions);
    panel.webview.onDidReceiveMessage(async (message: { reveal?: string }) => {
      const where = message.reveal ? places[message.reveal] : undefined;
      if (!where || !panelUri) {
        return;
      }
      const doc = await vscode.workspace.openTextDocument(panelUri);
      const shown = await vscode.window.showTextDocument(doc, vscode.ViewColumn.One);
      const pos = new vscode.Position(where.line, where.character);
      shown.selection = new vscode.Selection(pos, pos);
      shown.revealRange(new vscode.Range(pos, pos), vscode.TextEditorRevealType.InCenter);
    }, null, context.subscriptions);
  }
  void refreshPanel(editor.document.uri);
}

/** A notebook beside the model that opens it in the notebook workbench, opened in VS Code. */
/** The model file a command acts on: the active editor's, or the side panel's when the
 * panel has the focus (VS Code then has no active text editor). */
async function modelDocument(): Promise<vscode.TextDocument | undefined> {
  const editor = vscode.window.activeTextEditor;
  if (editor && editor.document.uri.scheme === "file") {
    return editor.document;
  }
  if (panel?.active && panelUri?.scheme === "file") {
    return vscode.workspace.openTextDocument(panelUri);
  }
  void vscode.window.showWarningMessage("Open a threat-model file first.");
  return undefined;
}

async function openNotebook(): Promise<void> {
  const doc = await modelDocument();
  if (!doc) {
    return;
  }
  await doc.save();
  const file = doc.uri.fsPath;
  const name = path.basename(file);
  const notebook = vscode.Uri.file(
    path.join(path.dirname(file), name.replace(/\.(ya?ml|json)$/i, "") + ".workbench.ipynb"),
  );
  const exists = await vscode.workspace.fs.stat(notebook).then(
    () => true,
    () => false,
  );
  if (!exists) {
    const source = [
      "from workbench import ThreatModel\n",
      "from widgets import Workbench\n",
      "\n",
      `model = ThreatModel.load(${JSON.stringify(name)})\n`,
      "Workbench(model)  # edits are saved to the file; its changes on disk are picked up\n",
    ];
    const content = {
      cells: [
        {
          cell_type: "markdown",
          metadata: {},
          source: [`# Threat model: ${name}\n`, "\n", "Run the cell to open the notebook workbench."],
        },
        { cell_type: "code", execution_count: null, metadata: {}, outputs: [], source },
      ],
      metadata: { kernelspec: { name: "python3", display_name: "Python 3", language: "python" } },
      nbformat: 4,
      nbformat_minor: 5,
    };
    await vscode.workspace.fs.writeFile(notebook, Buffer.from(JSON.stringify(content, null, 1)));
  }
  await vscode.commands.executeCommand("vscode.open", notebook);
  if (!vscode.extensions.getExtension("ms-toolsai.jupyter")) {
    void vscode.window.showInformationMessage(
      "Running the notebook needs the Jupyter extension (or open it in JupyterLab: " +
        'pip install "ai-threat-workbench[notebook]"; jupyter lab).',
    );
  }
}

/** Run the workbench's command line on the active model file in a terminal. */
async function runOnModel(args: (file: string) => string[]): Promise<void> {
  const doc = await modelDocument();
  if (!doc) {
    return;
  }
  await doc.save();
  const python = await pythonPath();
  const file = doc.uri.fsPath;
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
    vscode.commands.registerCommand("threatWorkbench.showDiagram", () => showPanel(context)),
    vscode.commands.registerCommand("threatWorkbench.openNotebook", () => openNotebook()),
    vscode.workspace.onDidSaveTextDocument((doc) => {
      if (panel && panelUri && doc.uri.toString() === panelUri.toString()) {
        void refreshPanel(doc.uri);
      }
    }),
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
