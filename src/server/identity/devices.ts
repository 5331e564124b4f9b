/**
 * Devices an account logs in from. Threats: one subscription shared across many households'
 * devices (plan `max_devices`: a new device over the limit is refused, and the user is shown
 * the devices to remove one); a lost or sold device that keeps its login and keeps playing
 * (removing a device revokes all of its logins with the family-revoked mark, so its access
 * tokens stop at once and its streams within seconds, as a logout does); a login that leaves
 * out its device id to slip past the limit (refused on plans with a device limit).
 */
import { deny, denyWith, grant, type Verdict } from '../../core/errors.js';
import type { DeviceRecord, DurableStores, UserRecord } from '../../core/ports.js';

export interface DeviceView {
  readonly device_id: string;
  readonly name: string | null;
  readonly first_seen_at: string;
  readonly last_seen_at: string;
}

export const DEVICE_REMOVED_REASON = 'device_removed';

export class DeviceService {
  constructor(
    private readonly stores: DurableStores,
    /** Sets the hot-state mark that a login is revoked (as logout does). */
    private readonly markRevoked: (familyId: string) => Promise<void>,
    private readonly now: () => number,
  ) {}

  /** A login's device: seen again, recorded, or refused over the plan's device limit. */
  async admit(user: UserRecord, deviceId: string | undefined, name: string | undefined): Promise<Verdict<void>> {
    const plan = await this.stores.plans.get(user.planId);
    const maxDevices = plan?.maxDevices ?? null;
    if (deviceId === undefined) {
      // Without an id every login would be a new device: uncountable, so refused where it counts.
      if (maxDevices === null) return grant(undefined);
      return deny('bad_request', 'this plan limits devices: send a device_id that the device keeps');
    }
    const admission = await this.stores.devices.admit({ userId: user.id, deviceId, name: name ?? null }, maxDevices, this.now());
    if (admission.admitted) return grant(undefined);
    return denyWith('device_limit_reached', `your plan allows ${maxDevices} devices; remove one to log in on this one`, {
      devices: admission.devices.map(deviceView),
    });
  }

  async list(userId: string): Promise<DeviceView[]> {
    return (await this.stores.devices.list(userId)).map(deviceView);
  }

  /**
   * Forgets a device and ends its logins and their streams. A retry sets the marks again (the
   * store answers every unexpired login of the device, revoked now or before), so marks missed
   * while the hot state was away are not lost.
   */
  async remove(userId: string, deviceId: string): Promise<Verdict<void>> {
    const [removed, revoked] = await Promise.all([
      this.stores.devices.remove(userId, deviceId),
      this.stores.refreshTokens.revokeDevice(userId, deviceId, DEVICE_REMOVED_REASON, this.now()),
    ]);
    await Promise.all(revoked.map((familyId) => this.markRevoked(familyId)));
    if (!removed && revoked.length === 0) return deny('not_found', 'you have no device with this id');
    return grant(undefined);
  }
}

export function deviceView(device: DeviceRecord): DeviceView {
  return {
    device_id: device.deviceId,
    name: device.name,
    first_seen_at: new Date(device.firstSeenAt).toISOString(),
    last_seen_at: new Date(device.lastSeenAt).toISOString(),
  };
}
