// Entry kept so 'sudo tsx src/tcp-probe.ts' works; the tool lives in src/cli/tcp-probe-command.ts.
import './cli/tcp-probe-command.ts';
