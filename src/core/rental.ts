/**
 * When a rental stops entitling: at the end of its rental window, or, once played, at the end
 * of its playback window from the first start, whichever comes first. Pure: time is passed in.
 */
export interface RentalWindow {
  readonly expiresAt: number;
  readonly playbackMs: number | null;
  readonly firstPlayedAt: number | null;
}

export function rentalEndsAt(rental: RentalWindow): number {
  return Math.min(rental.expiresAt, playbackWindowEndsAt(rental) ?? Infinity);
}

/** The end of the playback window, once the rental has been played and has one. */
export function playbackWindowEndsAt(rental: RentalWindow): number | null {
  return rental.firstPlayedAt !== null && rental.playbackMs !== null ? rental.firstPlayedAt + rental.playbackMs : null;
}
