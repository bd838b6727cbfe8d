// Entry kept so 'sudo tsx src/tcp-get.ts' works; the tool lives in src/cli/tcp-get-command.ts.
import './cli/tcp-get-command.ts';
