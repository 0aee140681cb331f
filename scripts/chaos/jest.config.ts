/** Unit specs of the chaos command's pure parts (fault names, options, schedule, report). */
export default {
  displayName: 'chaos',
  preset: '../../jest.preset.js',
  testEnvironment: 'node',
  moduleFileExtensions: ['ts', 'js'],
};
