// The seed's quick start in plain JS with require, in a blank app that installed the tarball.
// require() must return a ready API: the first event is built on the next line.
const { EventBuilder, createService, InstantEventBus } = require('atomservices');

const buildUserCreated = EventBuilder({ EventName: 'UserCreated', AggregateType: 'User' });
const myEvent = buildUserCreated({ _version: 1, _createdBy: 'admin-uuid', payloads: { email: 'a@example.com' } });
const handled = [];
const service = createService({
  EventBus: new InstantEventBus(),
  EventHandlers: [{ EventName: 'UserCreated', handle: (event) => { handled.push(event._id); } }],
});
service.dispatch(myEvent, (err) => {
  if (err) throw err;
  if (handled[0] !== myEvent._id) throw new Error('the handler did not run before notified');
  service.close().then(() => console.log('quickstart (require): ok'));
});
