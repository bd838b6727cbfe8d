// Entry kept so 'sudo tsx src/traceroute.ts' works; the tool lives in src/cli/traceroute-command.ts.
import './cli/traceroute-command.ts';
