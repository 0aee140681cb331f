// Test doubles for specs of this library and of its users; never exported from the barrel.
export { BypassedKeyValueStoreFake, FailingKeyValueStoreFake, RecordingKeyValueStoreFake } from './key-value-store.fakes';
export { ScriptedTransportFake, type ScriptedAttempt } from './scripted-transport.fake';
