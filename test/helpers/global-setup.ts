import type { TestProject } from 'vitest/node';
import { ensureBuilt } from './ensure-built';
import { startMotoServer } from './moto';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Base URL of the AWS emulator every integration test talks to. */
    awsEndpoint: string;
  }
}

const EMULATOR_ENV = { AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test' };

/**
 * Builds dist/ when a source is newer (the CLI and CDK tests run the built package), then starts
 * one moto_server for the whole run, unless `AWS_ENDPOINT_URL` already points at an emulator
 * (LocalStack, an external moto). Tests read the URL with `inject('awsEndpoint')`; child processes
 * (the CLI, `cdk deploy`) get it through the environment, with dummy credentials so nothing can
 * reach a real account by accident.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  ensureBuilt();
  const external = process.env.AWS_ENDPOINT_URL;
  const moto = external ? undefined : await startMotoServer();
  const url = external ?? moto!.url;
  process.env.AWS_ENDPOINT_URL = url;
  // Our own server gets the region and dummy credentials it expects; an external one keeps any set.
  for (const [name, value] of Object.entries(EMULATOR_ENV)) {
    if (moto || !process.env[name]) process.env[name] = value;
  }
  project.provide('awsEndpoint', url);
  return async () => {
    await moto?.stop();
  };
}
