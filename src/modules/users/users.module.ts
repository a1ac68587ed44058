import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { UserRepository } from './domain/user.repository.js';
import { UserEntity } from './infrastructure/persistence/user.entity.js';
import { TypeormUserRepository } from './infrastructure/persistence/typeorm-user.repository.js';
import { UsersController } from './users.controller.js';
import { UsersService } from './users.service.js';

@Module({
  imports: [TypeOrmModule.forFeature([UserEntity])],
  controllers: [UsersController],
  providers: [UsersService, { provide: UserRepository, useClass: TypeormUserRepository }],
  exports: [UsersService, UserRepository],
})
export class UsersModule {}
