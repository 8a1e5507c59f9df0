export { HttpClient, UnreachableError, type CallOptions, type HttpClientOptions, type HttpResponse } from './client';
