// Layering of packet-lab's src/ tree, checked by dependency-cruiser
// (`npm run lint:layers`, and test/layering.test.ts under `npm test`).
//
// Data flows one way, from the bottom up:
//
//   wire    src/wire/        pure codecs: views, parse/build, checksums, reply matching
//   io      src/io/          capture-file reading/writing
//   net     src/net/         sockets, live capture, routes, privileges, firewall
//   engines src/engine/      ping, traceroute, TCP probe/session, HTTP GET
//           src/crafting/    packet crafting: builds requests from user values with the
//                            wire codecs and sends them through net (send-and-wait)
//           src/dissection/  packet dissection: decodes frames (wire) and capture files
//                            (io) into the packet model that render formats
//   render  src/render/      text/JSON formatting of engine and wire data, no I/O
//   lab     src/lab/         the scapy-short API ('packet-lab/lab'): packets that show
//                            themselves (dissection + render) and send/sr1/sr/sniff and
//                            capture files (net, io); the pure layer composition it
//                            extends is src/wire/layers.ts
//   cli     src/cli/         <tool>-command.ts and shared CLI plumbing
//   entry   src/*.ts         thin entry files (and index.ts, the library's public API)
//   demos   src/examples/    runnable demos, on top like the entry files
//
// crafting and dissection are engines: both are domain logic that sits on the
// codecs (and io/net), and both produce the data structures render formats
// (render/struct-explanation.ts formats crafting's values, render/packet-*.ts
// format dissection's packet model), so they must be below render; crafting
// sends through net, so it must be above net; nothing in net has any business
// using dissection.
//
// lab is the API a user scripts with: a packet there has show() (render's
// tree), and sr1() sends through net, so it needs both render and net and sits
// above them. It is a library, not a command, so it stays below cli; the JSON
// packet record the tools print lives in lab so that toJSON() and --json are
// the same object.
//
// A module may import its own layer and any layer below it. Type-only imports
// count too (tsPreCompilationDeps): a type from a higher layer couples the
// lower one to it just as much as a value does.
//
// `knownViolations` below lists the violations the tree had when this check
// was introduced; they are tolerated until the restructuring that fixes them
// is merged. Anything else fails.

/** Node built-ins that do I/O or reach the process environment. */
const IO_BUILTINS =
  '^(node:)?(fs|net|dgram|child_process|dns|http|https|http2|tls|os|module|readline|tty|cluster|worker_threads|process|inspector)(/|$)';

const ENTRY_FILE = '^src/[^/]+\\.ts$';
/** node-gyp output of the lab's own binding (binding.gyp); unresolved it stays a relative path. */
const NATIVE_BUILD = '(^|/)build/Release/[^/]+\\.node$';
const LAYER_DIRS = '^src/(wire|io|net|engine|crafting|dissection|render|lab|cli|examples)/';

/**
 * Today's violations (from -> to), grouped by the rule they break. These are
 * tolerated ONLY so that the check can run in CI before the files are
 * restructured; each entry is to be removed when its import is fixed, and the
 * list is meant to end up empty. test/layering.test.ts fails on an entry that
 * no longer occurs, so the list cannot silently go stale.
 * Do not add entries to make a new violation pass: fix the import instead.
 */
const knownViolations = {
};

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'wire-imports-only-wire',
      severity: 'error',
      comment:
        'src/wire/ is the bottom layer of pure codecs: it may import only other src/wire/ modules and ' +
        'Node built-ins (which the next rule restricts to pure ones); no other project layer, no npm package, ' +
        'nothing from test/ or bench/.',
      from: { path: '^src/wire/' },
      to: { pathNot: '^src/wire/', dependencyTypesNot: ['core'] },
    },
    {
      name: 'wire-no-io-builtins',
      severity: 'error',
      comment:
        'src/wire/ is pure: no Node built-in that does I/O or reads the environment (fs, net, dgram, ' +
        'child_process, dns, os, module, ...). Pure helpers such as buffer or util are fine.',
      from: { path: '^src/wire/' },
      to: { dependencyTypes: ['core'], path: IO_BUILTINS },
    },
    {
      name: 'io-imports-only-wire',
      severity: 'error',
      comment:
        'src/io/ (capture-file reading/writing) may import only src/wire/ (and its own modules and Node ' +
        'built-ins); no net, engines, render, cli, no npm package.',
      from: { path: '^src/io/' },
      to: { pathNot: '^src/(io|wire)/', dependencyTypesNot: ['core'] },
    },
    {
      name: 'net-no-upward-imports',
      severity: 'error',
      comment:
        'src/net/ (sockets, capture, routes, privileges, firewall) may use wire and io but must not import ' +
        'engines (engine, crafting, dissection), render, cli or examples.',
      from: { path: '^src/net/' },
      to: { path: '^src/(engine|crafting|dissection|render|lab|cli|examples)/' },
    },
    {
      name: 'engines-no-render-or-cli',
      severity: 'error',
      comment:
        'Engines (src/engine/, src/crafting/, src/dissection/) return data; formatting it is render\'s job ' +
        'and driving them is the CLI\'s. They must not import src/render/, src/cli/ or src/examples/.',
      from: { path: '^src/(engine|crafting|dissection)/' },
      to: { path: '^src/(render|lab|cli|examples)/' },
    },
    {
      name: 'render-no-io',
      severity: 'error',
      comment:
        'src/render/ formats data structures from engines and wire and does no I/O itself: it must not ' +
        'import src/net/ or src/io/ (nor src/cli/ or src/examples/ above it).',
      from: { path: '^src/render/' },
      to: { path: '^src/(net|io|lab|cli|examples)/' },
    },
    {
      name: 'render-no-io-builtins',
      severity: 'error',
      comment:
        'src/render/ does no I/O: no Node built-in that does I/O or reads the environment (fs, net, dgram, ' +
        'child_process, dns, os, ...). Write the rendered text through what the CLI passes in.',
      from: { path: '^src/render/' },
      to: { dependencyTypes: ['core'], path: IO_BUILTINS },
    },
    {
      name: 'only-entry-files-import-cli',
      severity: 'error',
      comment:
        'src/cli/ is imported only by the entry programs: src/*.ts and the runnable demos in src/examples/ ' +
        '(which, like a tool, turn a mistake into one line and exit 2 through runCli), and by tests. No ' +
        'layer below may depend on CLI code: move shared helpers down to the layer they belong to.',
      from: { path: '^src/', pathNot: ['^src/cli/', ENTRY_FILE, '^src/examples/'] },
      to: { path: '^src/cli/' },
    },
    {
      name: 'layers-no-entry-files',
      severity: 'error',
      comment:
        'The entry files src/*.ts (including index.ts, the public API barrel) are the top: no layer imports ' +
        'them. Only the demos in src/examples/ may use the public API.',
      from: { path: LAYER_DIRS, pathNot: '^src/examples/' },
      to: { path: ENTRY_FILE },
    },
    {
      name: 'nothing-imports-examples',
      severity: 'error',
      comment: 'src/examples/ are demos: nothing outside src/examples/ imports them.',
      from: { pathNot: '^src/examples/' },
      to: { path: '^src/examples/' },
    },
    {
      name: 'native-modules-only-in-net',
      severity: 'error',
      comment:
        'The native modules raw-socket, cap and the lab\'s own Linux binding (build/Release/*.node, built ' +
        'from native/) are loaded only by src/net/ (raw-socket.ts, capture.ts, linux-raw-socket.ts); ' +
        'everything else goes through those wrappers.',
      from: { pathNot: '^src/net/' },
      to: { path: ['^node_modules/(raw-socket|cap)/', NATIVE_BUILD] },
    },
    {
      name: 'main-entry-is-pure',
      severity: 'error',
      comment:
        "src/index.ts is the package's main entry ('packet-lab'): the wire layer and capture files, usable " +
        'without root and without the native builds. Nothing it reaches, however indirectly, may be a socket, ' +
        'capture or engine module, a native module, or node:dgram (test/package.test.ts also checks the built ' +
        "package at run time). Sockets and engines are 'packet-lab/net' (src/net.ts).",
      from: { path: '^src/index\\.ts$' },
      to: { reachable: true, path: ['^src/(net|engine|crafting|lab|cli)/', '^node_modules/(raw-socket|cap)/', '^(node:)?dgram$'] },
    },
    {
      name: 'src-not-to-test-or-bench',
      severity: 'error',
      comment: 'Nothing in src/ imports from test/, bench/ or fixtures/.',
      from: { path: '^src/' },
      to: { path: '^(test|bench|fixtures)/' },
    },
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'No circular dependencies between modules in src/.',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'every-module-in-a-layer',
      severity: 'error',
      comment:
        'Every module in src/ is an entry file src/*.ts or lives in one of the layer directories ' +
        '(wire, io, net, engine, crafting, dissection, render, lab, cli, examples). A new directory must be ' +
        'given a place in the layering (in this file) before it is used.',
      from: { path: '^src/', pathNot: [LAYER_DIRS, ENTRY_FILE] },
      to: {},
    },
    {
      name: 'every-module-in-a-layer-to',
      severity: 'error',
      comment: 'Same as every-module-in-a-layer, seen from the importing side.',
      from: {},
      to: { path: '^src/', pathNot: [LAYER_DIRS, ENTRY_FILE] },
    },
    {
      name: 'not-to-unresolvable',
      severity: 'error',
      comment:
        'Every import must resolve, or the rules above would silently see no edge. cap is exempt: it is an ' +
        'optionalDependency whose native build may be absent on a machine without libpcap. So is the ' +
        'Linux binding (build/Release/*.node): off Linux or after a failed build it is absent and the ' +
        'tools fall back to raw-socket; native-modules-only-in-net matches it resolved or not.',
      from: {},
      to: { couldNotResolve: true, pathNot: ['^cap$', NATIVE_BUILD] },
    },
  ],
  options: {
    // Resolve the project's `.ts`-extension imports the way tsc does.
    tsConfig: { fileName: 'tsconfig.json' },
    // Count `import type` edges as dependencies (see the header).
    tsPreCompilationDeps: true,
    // Look at npm packages only as edge targets, never inside them.
    doNotFollow: { path: '^node_modules/' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      mainFields: ['module', 'main', 'types', 'typings'],
    },
    // dependency-cruiser's own baseline mechanism, fed from the list above, so
    // that `npm run lint:layers` and the test agree on what is tolerated.
    knownViolations: Object.entries(knownViolations).flatMap(([rule, edges]) =>
      edges.map((edge) => {
        const [from, to] = edge.split(' -> ');
        return { type: 'dependency', from, to, rule: { severity: 'error', name: rule } };
      }),
    ),
  },
};

