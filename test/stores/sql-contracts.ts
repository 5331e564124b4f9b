/** Every SQL contract suite, registered against one backend. */
import type { NewSqlTarget } from './harness.js';
import { operatorStoreContract } from './operator.contract.js';
import { deviceStoreContract } from './devices.contract.js';
import { eventStoreContract } from './events.contract.js';
import { mfaStoreContract } from './mfa.contract.js';
import { playbackSessionStoreContract } from './playback-sessions.contract.js';
import { planStoreContract } from './plans.contract.js';
import { refreshTokenStoreContract } from './refresh-tokens.contract.js';
import { signingKeyStoreContract } from './signing-keys.contract.js';
import { sqlDatabaseContract } from './sql-database.contract.js';
import { titleStoreContract } from './titles.contract.js';
import { userStoreContract } from './users.contract.js';
import { watchtowerStoreContract } from './watchtower.contract.js';

export function sqlContracts(newTarget: NewSqlTarget): void {
  sqlDatabaseContract(newTarget);
  userStoreContract(newTarget);
  planStoreContract(newTarget);
  titleStoreContract(newTarget);
  signingKeyStoreContract(newTarget);
  refreshTokenStoreContract(newTarget);
  playbackSessionStoreContract(newTarget);
  operatorStoreContract(newTarget);
  deviceStoreContract(newTarget);
  mfaStoreContract(newTarget);
  watchtowerStoreContract(newTarget);
  eventStoreContract(newTarget);
}
