/**
 * The "You are watching on N screens" dialog shown when starting playback hits the plan's
 * stream limit: each active stream by device and title, with a button to stop it there.
 * Server text (device names are chosen by whoever logged in) is set with textContent only.
 */

/**
 * Fills `section` (holding an <h2> and a <ul>) from the 409's `active_streams`.
 * `titleName(id)` names a title; `onStop(stream)` is called when a stream's button is pressed.
 */
export function showScreens(section, streams, titleName, onStop) {
  const count = streams.length;
  section.querySelector('h2').textContent = `You are watching on ${count} ${count === 1 ? 'screen' : 'screens'}`;
  section.querySelector('ul').replaceChildren(...streams.map((stream) => screenItem(stream, titleName, onStop)));
  section.hidden = false;
}

export function hideScreens(section) {
  section.hidden = true;
  section.querySelector('ul').replaceChildren();
}

function screenItem(stream, titleName, onStop) {
  const item = document.createElement('li');
  item.dataset.sessionId = stream.session_id;
  const device = document.createElement('span');
  device.className = 'device';
  device.textContent = stream.device_name ?? stream.device_id ?? 'Unknown device';
  const title = document.createElement('span');
  title.className = 'name';
  title.textContent = titleName(stream.title_id);
  const stop = document.createElement('button');
  stop.type = 'button';
  stop.textContent = 'Stop watching there';
  stop.addEventListener('click', () => onStop(stream));
  item.append(device, ': ', title, ' ', stop);
  return item;
}
