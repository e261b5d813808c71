import type { ServiceDefinition } from '../catalog/schema';
import type { TestOutcome } from './test-outcome';

/** Runs a service's test by its kind; each client is loaded only when a test of its kind runs. */
export async function testConnection(service: ServiceDefinition, material: { secret?: string; fields: Record<string, string> }): Promise<TestOutcome> {
  switch (service.test.kind) {
    case 'http':
      return (await import('./http-test')).runHttpTest(service, material);
    case 'smtp_imap':
      return (await import('./mail-test')).runMailTest(material);
    case 'none':
      return { status: 'untestable', message: `Stored without a test: ${service.test.reason}`, elapsedMs: 0 };
  }
}
