// A local S3-compatible server for the attachment tests: S3Proxy (filesystem backend) on a
// free loopback port. Node builtins only, so a jest globalSetup can import it as is. No
// Docker: the jar comes from Maven Central through s3proxy/pom.xml (never committed).
//
//   import { startS3Proxy, stopS3Proxy } from '../scripts/s3proxy.mjs';
//   const s3 = await startS3Proxy();   // { endpoint, accessKeyId, secretAccessKey, pid }
//   await stopS3Proxy(s3.pid);
//
// Also a command for development: `node scripts/s3proxy.mjs start` prints the S3_* settings
// and leaves the server running (stop it with `node scripts/s3proxy.mjs stop <pid>`).
//
// Environment: DATA_DIR (default ./.data; the jar goes to $DATA_DIR/s3proxy/libs, each
// server's objects to $DATA_DIR/s3proxy/run-<pid>), S3PROXY_START_TIMEOUT (seconds, 60),
// JAVA_HOME (else java on PATH; Java 17+).
import { execFile, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { dirname, isAbsolute, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from './free-port.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const POM = join(ROOT, 's3proxy', 'pom.xml');
const HOST = '127.0.0.1';

function dataDir(env) {
  const d = env.DATA_DIR || './.data';
  return join(isAbsolute(d) ? d : join(ROOT, d), 's3proxy');
}

const javaBin = (env) =>
  env.JAVA_HOME && existsSync(join(env.JAVA_HOME, 'bin', 'java'))
    ? join(env.JAVA_HOME, 'bin', 'java')
    : 'java';

function exec(file, args, opts = {}) {
  return new Promise((resolve, reject) =>
    execFile(file, args, { maxBuffer: 8 * 1024 * 1024, ...opts }, (err, stdout, stderr) =>
      err ? reject(Object.assign(err, { stdout, stderr })) : resolve({ stdout, stderr }),
    ),
  );
}

/** Copies the S3Proxy jar into $DATA_DIR/s3proxy/libs unless it is there for this pom. */
export async function fetchS3Proxy(env = process.env) {
  const libs = join(dataDir(env), 'libs');
  const stamp = join(libs, '.pom.sha256');
  const hash = createHash('sha256').update(readFileSync(POM)).digest('hex');
  if (existsSync(stamp) && readFileSync(stamp, 'utf8') === hash) return libs;
  const tmp = `${libs}.tmp.${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(dirname(libs), { recursive: true });
  try {
    await exec(
      'mvn',
      [
        '-B',
        '-q',
        '-f',
        POM,
        'dependency:copy-dependencies',
        '-DincludeScope=runtime',
        `-DoutputDirectory=${tmp}`,
      ],
      { timeout: 10 * 60_000 },
    );
  } catch (err) {
    rmSync(tmp, { recursive: true, force: true });
    throw new Error(
      `fetching S3Proxy with Maven failed (Java 17+ and Maven are needed; is Maven Central reachable?): ${String(err.stderr || err.stdout || err.message).trim()}`,
      { cause: err },
    );
  }
  writeFileSync(join(tmp, '.pom.sha256'), hash);
  rmSync(libs, { recursive: true, force: true });
  renameSync(tmp, libs);
  return libs;
}

const alive = (pid) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** Any HTTP answer (S3Proxy says 403 to an unsigned request) means it serves. */
async function answers(endpoint) {
  try {
    await fetch(endpoint, { signal: AbortSignal.timeout(1000) });
    return true;
  } catch {
    return false;
  }
}

async function startOnce(env, libs) {
  const port = await freePort();
  const endpoint = `http://${HOST}:${port}`;
  const dir = join(dataDir(env), `run-${process.pid}-${port}`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(join(dir, 'blobs'), { recursive: true });
  const accessKeyId = `test${randomBytes(6).toString('hex')}`;
  const secretAccessKey = randomBytes(24).toString('base64url');
  const conf = join(dir, 's3proxy.conf');
  writeFileSync(
    conf,
    [
      `s3proxy.endpoint=${endpoint}`,
      's3proxy.authorization=aws-v2-or-v4',
      `s3proxy.identity=${accessKeyId}`,
      `s3proxy.credential=${secretAccessKey}`,
      'jclouds.provider=filesystem',
      `jclouds.filesystem.basedir=${join(dir, 'blobs')}`,
      '',
    ].join('\n'),
  );
  // S3Proxy logs everything at DEBUG without a configuration.
  const logback = join(dir, 'logback.xml');
  writeFileSync(
    logback,
    '<configuration><appender name="OUT" class="ch.qos.logback.core.ConsoleAppender"><encoder><pattern>%d %level %logger{20} %msg%n</pattern></encoder></appender><root level="WARN"><appender-ref ref="OUT"/></root></configuration>\n',
  );
  const log = join(dir, 's3proxy.log');
  const out = openSync(log, 'a');
  const child = spawn(
    javaBin(env),
    [
      '-Xmx256m',
      '-XX:+UseSerialGC',
      '-XX:TieredStopAtLevel=1',
      `-Dlogback.configurationFile=${logback}`,
      '-cp',
      `${libs}/*`,
      'org.gaul.s3proxy.Main',
      '--properties',
      conf,
    ],
    { detached: true, stdio: ['ignore', out, out] },
  );
  child.unref();
  const pid = child.pid;
  writeFileSync(join(dir, 'pid'), String(pid));
  const deadline = Date.now() + Number(env.S3PROXY_START_TIMEOUT || 60) * 1000;
  while (Date.now() < deadline) {
    if (!alive(pid) || child.exitCode !== null) {
      const tail = existsSync(log)
        ? readFileSync(log, 'utf8').split('\n').slice(-20).join('\n')
        : '';
      return { error: `S3Proxy exited during start-up (port ${port}):\n${tail}` };
    }
    if (await answers(endpoint)) return { endpoint, accessKeyId, secretAccessKey, pid, dir };
    await new Promise((r) => setTimeout(r, 200));
  }
  await stopS3Proxy(pid);
  return { error: `S3Proxy did not answer on ${endpoint} within the start timeout; see ${log}` };
}

/**
 * Fetches (first time) and starts S3Proxy on a free loopback port with fresh credentials.
 * Resolves to { endpoint, accessKeyId, secretAccessKey, pid, dir }. A port taken between
 * choosing and binding it (another test run) is retried with another one.
 */
export async function startS3Proxy(env = process.env) {
  const libs = await fetchS3Proxy(env);
  let last = '';
  for (let attempt = 0; attempt < 3; attempt++) {
    const r = await startOnce(env, libs);
    if (!r.error) return r;
    last = r.error;
  }
  throw new Error(last);
}

/** SIGTERM, then SIGKILL after 10 s; removes the server's objects when `dir` is given. */
export async function stopS3Proxy(pid, dir) {
  if (pid && alive(pid)) {
    process.kill(pid, 'SIGTERM');
    const deadline = Date.now() + 10_000;
    while (alive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    if (alive(pid)) process.kill(pid, 'SIGKILL');
  }
  if (dir) rmSync(dir, { recursive: true, force: true });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [cmd, arg] = process.argv.slice(2);
  if (cmd === 'start') {
    const s = await startS3Proxy();
    console.log(
      `ATTACHMENT_STORE=s3\nS3_ENDPOINT=${s.endpoint}\nS3_REGION=us-east-1\nS3_FORCE_PATH_STYLE=true\nS3_ACCESS_KEY_ID=${s.accessKeyId}\nS3_SECRET_ACCESS_KEY=${s.secretAccessKey}\n# pid ${s.pid}; objects in ${s.dir}; create the bucket (S3_BUCKET) first`,
    );
  } else if (cmd === 'stop' && arg) {
    await stopS3Proxy(Number(arg));
  } else if (cmd === 'fetch') {
    console.log(await fetchS3Proxy());
  } else {
    console.error('usage: node scripts/s3proxy.mjs fetch | start | stop <pid>');
    process.exit(2);
  }
}
