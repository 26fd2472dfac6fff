/**
 * The one rule for an app's name (a pipeline's name, `--app`, `APP_NAME`, `SLUICE_APP`, the
 * construct's `appName`): it is part of every checkpoint key, WAL and quarantine object key, metric
 * dimension and AWS resource name the construct derives from it, so it must fit all of them.
 */
export const APP_NAME_RULE = "must be 1-40 lowercase letters, digits or '-', starting with a letter or digit";

const APP_NAME = /^[a-z0-9][a-z0-9-]{0,39}$/;

/** True when `name` follows {@link APP_NAME_RULE}. */
export function isAppName(name: string): boolean {
  return APP_NAME.test(name);
}
