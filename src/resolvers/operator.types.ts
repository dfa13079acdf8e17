import { Field, ObjectType } from 'type-graphql';
import type { RoleName } from '../config';
import { Role } from './enums';

@ObjectType('Operator')
export class OperatorType {
  @Field()
  name!: string;

  @Field(() => [Role])
  roles!: RoleName[];
}
