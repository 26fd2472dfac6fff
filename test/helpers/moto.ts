import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { createAwsClients, type AwsClients } from '../../lib/adapters/aws/aws-clients';

/** A running `moto_server` child process. */
export interface MotoServer {
  /** Base URL handed to the SDK: `http://localhost:<port>`. */
  readonly url: string;
  /** Terminates the server and waits for it to exit. */
  stop(): Promise<void>;
}

/** Options of {@link startMotoServer}. */
export interface StartMotoOptions {
  /** @default `moto_server` from PATH */
  readonly command?: string;
  /** @default 30_000 (a cold Python start on a busy CI box takes a few seconds) */
  readonly startTimeoutMs?: number;
}

const STDERR_TAIL_CHARS = 4_000;

/** moto's app behind one lock: see the file for why (moto's transactions are not isolated). */
const SERIALIZED_SERVER = fileURLToPath(new URL('./moto-serialized-server.py', import.meta.url));

/** True when the `python3` on PATH can import moto (moto_server's own interpreter, in practice). */
async function motoImportable(): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = spawn('python3', ['-c', 'import moto.server, werkzeug.serving'], { stdio: 'ignore' });
    probe.once('error', () => resolve(false));
    probe.once('exit', (code) => resolve(code === 0));
  });
}

/**
 * Starts `moto_server` on a free port bound to 127.0.0.1 and resolves once it answers through
 * `localhost`. The URL uses `localhost` because moto resolves CloudFormation `TemplateURL`s to
 * buckets only when they contain it; answering proves the name reaches the 127.0.0.1 listener.
 * Rejects, never skips, when moto_server is missing: CI must run the AWS adapter tests.
 */
export async function startMotoServer(options: StartMotoOptions = {}): Promise<MotoServer> {
  const command = options.command ?? 'moto_server';
  const port = await freePort();
  const url = `http://localhost:${port}`;
  const child = (await motoImportable())
    ? spawn('python3', [SERIALIZED_SERVER, '127.0.0.1', String(port)], { stdio: ['ignore', 'ignore', 'pipe'] })
    : spawn(command, ['-H', '127.0.0.1', '-p', String(port)], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderrTail = '';
  // Drain stderr (moto logs every request there) so the pipe never fills and blocks the server.
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    stderrTail = (stderrTail + chunk).slice(-STDERR_TAIL_CHARS);
  });
  const exited = new Promise<Error>((resolve) => {
    child.once('error', (error: NodeJS.ErrnoException) =>
      resolve(
        error.code === 'ENOENT'
          ? new Error(
              `${command} not found on PATH. Install moto 5.2.1 (pip install "moto[server]==5.2.1") or set AWS_ENDPOINT_URL to a running emulator (LocalStack, moto).`,
            )
          : error,
      ),
    );
    child.once('exit', (code, signal) => resolve(new Error(`${command} exited (code ${code}, signal ${signal}) before answering on ${url}:\n${stderrTail}`)));
  });
  const killOnExit = (): void => void child.kill('SIGKILL');
  process.once('exit', killOnExit);
  let gaveUp = false;
  const failure = await Promise.race([exited, waitUntilAnswering(url, options.startTimeoutMs ?? 30_000, () => gaveUp)]);
  gaveUp = true;
  if (failure instanceof Error) {
    process.off('exit', killOnExit);
    child.kill('SIGKILL');
    throw failure;
  }
  return {
    url,
    async stop() {
      process.off('exit', killOnExit);
      await stopChild(child);
    },
  };
}

/** A resource name unique to this run and file, so test files can share one server in parallel. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${randomBytes(5).toString('hex')}`;
}

/** The adapters' clients pointed at the test endpoint (from `inject('awsEndpoint')`). */
export function createTestAwsClients(endpoint: string): AwsClients {
  return createAwsClients({ endpoint, region: 'us-east-1' });
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

async function waitUntilAnswering(url: string, timeoutMs: number, gaveUp: () => boolean): Promise<true | Error> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && !gaveUp()) {
    try {
      const response = await fetch(`${url}/moto-api/`);
      await response.arrayBuffer();
      if (response.ok) return true;
    } catch {
      // Not listening yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return new Error(`moto_server did not answer on ${url} within ${timeoutMs} ms`);
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
}

/**
 * Creates an IAM role on moto and returns its ARN: moto checks that a Lambda function's role exists,
 * and the project has no IAM client, so this is one Query API call (moto routes it by the
 * credential scope and checks no signature).
 */
export async function createMotoRole(endpoint: string, name: string): Promise<string> {
  const body = new URLSearchParams({ Action: 'CreateRole', Version: '2010-05-08', RoleName: name, AssumeRolePolicyDocument: '{}' });
  const response = await fetch(`${endpoint}/`, {
    method: 'POST',
    body,
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: 'AWS4-HMAC-SHA256 Credential=test/20240101/us-east-1/iam/aws4_request, SignedHeaders=host, Signature=0',
    },
  });
  const arn = /<Arn>(.*?)<\/Arn>/.exec(await response.text())?.[1];
  if (arn === undefined) throw new Error(`moto CreateRole failed with HTTP ${response.status}`);
  return arn;
}
