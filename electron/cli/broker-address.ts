import { announceAddress, runningAddress, type RunAddress } from '../core/config/run-address';

/** While `broker serve` runs it leaves its address in SOPHON_HOME/run/broker.json, so `broker mint` can say where to send the token. */
export type BrokerAddress = RunAddress;

export const announceBroker = (home: string, url: string, port: number): Promise<() => Promise<void>> => announceAddress(home, 'broker', url, port);

export const runningBroker = (home: string): Promise<BrokerAddress | null> => runningAddress(home, 'broker');
