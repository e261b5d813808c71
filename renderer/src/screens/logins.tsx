import { PageHeader } from '../ui';

/** CLI logins found by the importer — shown only when the door offers imports.scan / imports.run. */
export function LoginsScreen() {
  return <PageHeader title="CLI logins" />;
}
