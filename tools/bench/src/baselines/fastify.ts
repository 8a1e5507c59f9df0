// Bare Fastify 5: one route, nothing else.
import Fastify from 'fastify';

const app = Fastify();
app.get('/hello', async () => ({ hello: 'world' }));
app.get('/health/ready', async () => ({ status: 'ok' }));
void app.listen({ port: Number(process.env['PORT']), host: '127.0.0.1' });
