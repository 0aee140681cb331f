// Test doubles of the HTTP adapter: for specs only, never re-exported by the barrel.
export { HttpResponderSpy, httpRequest } from './http-exchange.spy';
export { EventsHandlerFake, type ScriptedGeneration } from './events-handler.fake';
