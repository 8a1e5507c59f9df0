// Bare Express 5: one route, nothing else.
import express from 'express';

const app = express();
app.get('/hello', (_req, res) => {
  res.json({ hello: 'world' });
});
app.get('/health/ready', (_req, res) => {
  res.json({ status: 'ok' });
});
app.listen(Number(process.env['PORT']), '127.0.0.1');
