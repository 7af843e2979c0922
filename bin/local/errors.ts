/** A failure of local mode the user can fix: `npm start` prints its message, one line that says how. */
export class LocalModeError extends Error {
  override name = 'LocalModeError';
}
