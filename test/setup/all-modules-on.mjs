// The "whole suite with every module on" run: the core's e2e files again, with every enterprise
// module registered and its tables present. Tests that need a module off pass coreEnv().
process.env.DATABASE_URL = process.env.ENTERPRISE_DATABASE_URL;
for (const f of [
  'FEATURE_ORGANIZATIONS',
  'FEATURE_USER_ROLES',
  'FEATURE_PROXY_SYSTEM',
  'FEATURE_BOT_MESSAGES',
  'FEATURE_ONLINE_STATISTICS',
  'FEATURE_ADVANCED_ADMIN',
])
  process.env[f] = 'true';
