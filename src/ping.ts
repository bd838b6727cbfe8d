// Entry kept so 'sudo tsx src/ping.ts' works; the tool lives in src/cli/ping-command.ts.
import './cli/ping-command.ts';
