// Runs before every test file: when Jest runs files in several workers, each worker has its own
// copies of the run's two migrated databases (made by the global setup); point this file's
// DATABASE_URL, CORE_DATABASE_URL and ENTERPRISE_DATABASE_URL at this worker's copies.
const workers = Number(process.env.TEST_DB_WORKERS ?? 0);
const worker = Number(process.env.JEST_WORKER_ID ?? 0);
if (workers > 1 && worker >= 1 && worker <= workers) {
  const forWorker = (url) => {
    const u = new URL(url);
    u.pathname = `${u.pathname}_w${worker}`;
    return u.toString();
  };
  const core = forWorker(process.env.CORE_DATABASE_URL);
  const enterprise = forWorker(process.env.ENTERPRISE_DATABASE_URL);
  process.env.DATABASE_URL = core; // the global setup's default; all-modules-on.mjs runs after
  process.env.CORE_DATABASE_URL = core;
  process.env.ENTERPRISE_DATABASE_URL = enterprise;
}
