// Test doubles of the HTTP adapter: for specs only, never re-exported by the barrel.
export { HttpResponderSpy, httpRequest } from './http-exchange.spy';
export { EventsHandlerFake } from './events-handler.fake';
