import { HttpException } from '@nestjs/common';
import type { UserEntity } from '../users/user.entity';
import type { UserService } from '../users/user.service';
import { isUuid } from '../uuid-form';


/**
 * The user with this id, or null when there is none. Only ids are looked up, never emails,
 * so a token's `sub` can never name a user by another attribute.
 */
export async function findUser(users: UserService, id: string): Promise<UserEntity | null> {
  if (!isUuid(id)) return null;
  try {
    return await users.get(id);
  } catch (error) {
    if (error instanceof HttpException && error.getStatus() === 404) return null;
    throw error;
  }
}
