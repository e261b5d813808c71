import { useEffect, useState } from 'react';
import type { EventPayload } from '../../../shared/contract';
import { Spinner } from '../ui';
import { CopyButton } from './oauth-setup';
import './oauth-setup.css';

type DeviceCode = NonNullable<EventPayload<'oauth.progress'>['device']>;

const remaining = (expiresAt: string, now: number): number => Math.max(0, Math.floor((Date.parse(expiresAt) - now) / 1000));
const clock = (s: number): string => `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;

/**
 * A device sign-in (RFC 8628) in progress: the code to type, the address to type it at (on this machine
 * or a phone), a copy button, how long the code lives, and progress until the service says yes. Neither
 * the code nor the address is a secret.
 */
export function DeviceSignIn({ device, serviceName }: { device: DeviceCode; serviceName: string }) {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const t = window.setInterval(() => setNow(Date.now()), 1000);
    return () => window.clearInterval(t);
  }, []);
  const left = remaining(device.expiresAt, now);
  return (
    <div className="device-signin" aria-label={`Sign in to ${serviceName} with a code`}>
      <p>
        On any device, open{' '}
        <a href={device.verificationUri} target="_blank" rel="noopener noreferrer" className="device-address">
          {device.verificationUri}
        </a>{' '}
        and enter this code:
      </p>
      <p className="device-code-line">
        <code className="device-code" data-user-code>
          {device.userCode}
        </code>{' '}
        <CopyButton value={device.userCode} label="Copy the code" />
      </p>
      {device.verificationUriComplete && (
        <p className="help">
          Or open{' '}
          <a href={device.verificationUriComplete} target="_blank" rel="noopener noreferrer">
            the address with the code filled in
          </a>
          .
        </p>
      )}
      <p className="device-countdown" aria-live="off">
        {left > 0 ? <>The code expires in {clock(left)}.</> : <>The code has expired; start again.</>}
      </p>
      {left > 0 && <Spinner label={`Waiting for you to enter the code and approve at ${serviceName}…`} />}
    </div>
  );
}
