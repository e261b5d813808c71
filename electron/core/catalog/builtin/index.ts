import type { ServiceDefinitionInput } from '../schema';
import { ATLASSIAN_SERVICES } from './atlassian';
import { AUTOMATION_SERVICES } from './automation';
import { CHAT_SERVICES } from './chat';
import { CLI_LOGIN_SERVICES } from './cli-logins';
import { DEVELOPER_SERVICES } from './developer';
import { GENERIC_SERVICES } from './generic';
import { GOOGLE_SERVICES } from './google';
import { LLM_SERVICES } from './llm';
import { MICROSOFT_SERVICES } from './microsoft';
import { STORAGE_SERVICES } from './storage';
import { TELEPHONY_SERVICES } from './telephony';
import { WORK_SERVICES } from './work';

/** Every built-in service, in the order the UI lists its groups. Validated by `loadCatalog`. */
export const BUILTIN_SERVICES: ServiceDefinitionInput[] = [
  ...GOOGLE_SERVICES,
  ...MICROSOFT_SERVICES,
  ...DEVELOPER_SERVICES,
  ...CHAT_SERVICES,
  ...ATLASSIAN_SERVICES,
  ...WORK_SERVICES,
  ...AUTOMATION_SERVICES,
  ...TELEPHONY_SERVICES,
  ...LLM_SERVICES,
  ...STORAGE_SERVICES,
  ...GENERIC_SERVICES,
  ...CLI_LOGIN_SERVICES,
];
