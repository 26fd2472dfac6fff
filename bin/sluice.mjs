#!/usr/bin/env node
// Entry of the `sluice` command: the compiled CLI (npm run build). TypeScript pipelines are loaded
// through tsx by the command that runs them, not here.

// Older Node would fail deep inside (node:sqlite is missing before 22.5): say what is needed instead.
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 16)) {
  process.stderr.write(`sluice: needs Node.js 22.16 or newer (this is ${process.version}); install Node 24, the runtime the Lambda functions deploy to\n`);
  process.exit(1);
}

// The SDK's notice that its releases from 2027 on need Node 22 says nothing about this command's run.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
// Node 22 calls node:sqlite, the local checkpoint store, experimental at every start (Node 24 no
// longer does): docs/decisions/0011. Every other warning is printed as usual.
const emitWarning = process.emitWarning;
process.emitWarning = (warning, ...rest) => {
  if (String(warning).startsWith('SQLite is an experimental feature')) return;
  emitWarning.call(process, warning, ...rest);
};
// A reader that went away (`sluice state dump | head`) ends the command quietly, as for any Unix tool.
process.stdout.on('error', (error) => {
  if (error.code === 'EPIPE') process.exit(0);
  throw error;
});
const { main } = await import('../dist/cli.js');
process.exitCode = await main(process.argv.slice(2));
