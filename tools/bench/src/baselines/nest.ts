// Bare NestJS on Express: one controller, nothing else.
import { Controller, Get, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';

@Controller()
class HelloController {
  @Get('hello')
  hello() {
    return { hello: 'world' };
  }

  @Get('health/ready')
  ready() {
    return { status: 'ok' };
  }
}

@Module({ controllers: [HelloController] })
class AppModule {}

void NestFactory.create(AppModule, { logger: false }).then((app) =>
  app.listen(Number(process.env['PORT']), '127.0.0.1'),
);
